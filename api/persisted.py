"""Persisted queries at the edge: APQ as Apollo Client and urql speak it, trusted documents,
and the per-client policy that says which of them a client may send.

A request names its document in one of three ways:
- `query` (the full text), optionally with `extensions.persistedQuery` (APQ registration);
- `extensions.persistedQuery.sha256Hash` alone (an APQ hit, or a trusted document);
- `documentId: "sha256:<hex>"` (GraphQL-over-HTTP persisted documents).

The client is named by its `apollographql-client-name` header. That header is the client's own
word, so TRUSTED_ONLY is a safelist only when it is the default policy (`PSX_PERSISTED_DEFAULT`)
and the relaxed policies are given to named clients.

A request authenticated by an API key (api/edge.py) is named by the key, which is not the
client's own word: a key with a policy has it applied. Anyone may create a key, though, so a
key's policy relaxes the server's rules only for the tiers that may relax them
(`Entitlements.relaxed_key_policy`, PROFESSIONAL and above); for the others the stricter of
the key's policy and the rules for the request applies. A key without a policy changes nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    Node,
    OperationDefinitionNode,
    parse,
    print_ast,
    validate,
)

from api.settings import Settings
from db.persisted import (
    SHA256_HEX,
    ApqStore,
    TrustedDocument,
    load_trusted,
    make_apq_store,
    sha256_hex,
    trusted_bodies,
)
from domain.accounts.api_keys import KeyIdentity

# Apollo Server sends these with its PersistedQuery errors so CDNs never cache a miss.
NO_CACHE = "private, no-cache, must-revalidate"
# Documents longer than this run but are not stored: APQ is open to anyone, the store is not
# a place for megabyte documents.
MAX_APQ_DOCUMENT = 64 * 1024


class ClientPolicy(enum.StrEnum):
    """What a client may send."""

    ALLOW_ANY = "allow_any"  # full queries, APQ and trusted documents
    ALLOW_APQ = "allow_apq"  # only by hash: APQ (registration included) or trusted documents
    TRUSTED_ONLY = "trusted_only"  # only documents of the loaded manifests


# Strictest first.
_STRICTNESS = (ClientPolicy.TRUSTED_ONLY, ClientPolicy.ALLOW_APQ, ClientPolicy.ALLOW_ANY)


@dataclass(frozen=True, slots=True)
class Policies:
    """The policy of each named client, and of every other client."""

    default: ClientPolicy = ClientPolicy.ALLOW_ANY
    by_client: Mapping[str, ClientPolicy] = field(default_factory=dict)

    def for_client(self, name: str | None, key: KeyIdentity | None = None) -> ClientPolicy:
        """The policy of a client name (the default for an unknown or missing name), or of the
        API key the request authenticated with when the key has one (see the module's text)."""
        rule = self.by_client.get(name, self.default) if name else self.default
        if key is None or key.policy is None:
            return rule
        policy = ClientPolicy(key.policy.value)
        if key.relaxes:
            return policy
        return min(policy, rule, key=_STRICTNESS.index)


def parse_policies(spec: str, default: str = "allow_any") -> Policies:
    """Policies from `PSX_PERSISTED_POLICIES` (`name=policy,name=policy`) and the default.

    Raises:
        ValueError: an entry without `=`, or a policy that is not one of `ClientPolicy`.
    """
    by_client: dict[str, ClientPolicy] = {}
    for entry in (e.strip() for e in spec.split(",")):
        if not entry:
            continue
        name, sep, policy = entry.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"PSX_PERSISTED_POLICIES: {entry!r} is not `client=policy`")
        by_client[name.strip()] = _policy(policy)
    return Policies(default=_policy(default), by_client=by_client)


def _policy(value: str) -> ClientPolicy:
    try:
        return ClientPolicy(value.strip().lower())
    except ValueError:
        known = ", ".join(p.value for p in ClientPolicy)
        raise ValueError(f"unknown persisted-query policy {value!r} (one of {known})") from None


class PersistedError(Exception):
    """A request the edge answers itself with one GraphQL error.

    `status` None means "not a well-formed request": the edge picks the status for the media
    type (422 or 400).
    """

    def __init__(
        self,
        message: str,
        code: str,
        status: int | None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.headers = dict(headers or {})


def not_found() -> PersistedError:
    """Apollo's miss: HTTP 200, so every Apollo Client version retries with the query."""
    return PersistedError(
        "PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND", 200, {"cache-control": NO_CACHE}
    )


def not_supported() -> PersistedError:
    """Apollo's "APQ is off here": the client stops sending hashes."""
    return PersistedError(
        "PersistedQueryNotSupported",
        "PERSISTED_QUERY_NOT_SUPPORTED",
        200,
        {"cache-control": NO_CACHE},
    )


@dataclass(frozen=True, slots=True)
class Resolved:
    """The document a request names; `register` is the hash to store once it checks out."""

    query: str | None
    persisted: bool
    register: str | None = None


class PersistedDocuments:
    """Resolves a request's document from its text, its APQ hash or its documentId."""

    def __init__(
        self,
        store: ApqStore,
        trusted: Mapping[str, str],
        *,
        policies: Policies | None = None,
        apq_enabled: bool = True,
    ) -> None:
        self.store = store
        self.trusted = dict(trusted)
        self.policies = policies or Policies()
        self.apq_enabled = apq_enabled

    async def resolve(
        self, params: Mapping[str, Any], client: str | None, key: KeyIdentity | None = None
    ) -> Resolved:
        """The document of a request's parameters, under the client's (or API key's) policy.

        Raises:
            PersistedError: unknown or mismatched hash, or a document the policy refuses.
        """
        policy = self.policies.for_client(client, key)
        query = params.get("query")
        if query is not None and not isinstance(query, str):
            raise PersistedError("`query` must be a string.", "BAD_REQUEST", None)
        document_id = params.get("documentId")
        if document_id is not None:
            return await self._by_document_id(document_id, query, policy)
        extensions = params.get("extensions")
        persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
        if persisted is not None:
            return await self._by_apq(persisted, query, policy)
        if query is None:
            return Resolved(query=None, persisted=False)
        if policy is ClientPolicy.ALLOW_ANY:
            return Resolved(query=query, persisted=False)
        if sha256_hex(query) in self.trusted:
            return Resolved(query=query, persisted=True)
        raise _refused(policy)

    async def _by_document_id(
        self, document_id: object, query: str | None, policy: ClientPolicy
    ) -> Resolved:
        if not isinstance(document_id, str):
            raise PersistedError("`documentId` must be a string.", "BAD_REQUEST", None)
        prefix, _, digest = document_id.partition(":")
        if prefix != "sha256" or not SHA256_HEX.fullmatch(digest):
            raise PersistedError(
                "Unsupported documentId: use `sha256:<64 lowercase hex>`.", "BAD_REQUEST", None
            )
        if query is not None:
            raise PersistedError("Send `documentId` or `query`, not both.", "BAD_REQUEST", None)
        return await self._known(digest, policy)

    async def _by_apq(self, persisted: object, query: str | None, policy: ClientPolicy) -> Resolved:
        if not isinstance(persisted, dict) or persisted.get("version") != 1:
            raise PersistedError("Unsupported persisted query version.", "BAD_REQUEST", 400)
        digest = persisted.get("sha256Hash")
        if not isinstance(digest, str) or not SHA256_HEX.fullmatch(digest.lower()):
            raise PersistedError(
                "`sha256Hash` must be 64 hex digits.", "PERSISTED_QUERY_HASH_MISMATCH", 400
            )
        digest = digest.lower()
        if query is None:
            return await self._known(digest, policy)
        if sha256_hex(query) != digest:
            raise PersistedError(
                "provided sha does not match query", "PERSISTED_QUERY_HASH_MISMATCH", 400
            )
        if digest in self.trusted:
            return Resolved(query=query, persisted=True)
        if policy is ClientPolicy.TRUSTED_ONLY:
            raise _refused(policy)
        if not self.apq_enabled:
            raise not_supported()
        register = digest if len(query) <= MAX_APQ_DOCUMENT else None
        return Resolved(query=query, persisted=True, register=register)

    async def _known(self, digest: str, policy: ClientPolicy) -> Resolved:
        trusted = self.trusted.get(digest)
        if trusted is not None:
            return Resolved(query=trusted, persisted=True)
        if policy is ClientPolicy.TRUSTED_ONLY:
            raise _refused(policy)
        if not self.apq_enabled:
            raise not_supported()
        stored = await self.store.get(digest)
        if stored is None:
            raise not_found()
        return Resolved(query=stored, persisted=True)


def _refused(policy: ClientPolicy) -> PersistedError:
    if policy is ClientPolicy.TRUSTED_ONLY:
        return PersistedError(
            "This client may only send trusted documents.", "TRUSTED_DOCUMENT_REQUIRED", 403
        )
    return PersistedError(
        "This client may only send persisted queries.", "PERSISTED_QUERY_REQUIRED", 403
    )


def documents_from_settings(settings: Settings) -> PersistedDocuments:
    """The APQ store, the trusted documents and the policies a server is configured with.

    Raises:
        ManifestError: a trusted-document source that does not load or check.
        ValueError: a malformed policy setting.
    """
    trusted = trusted_bodies(load_trusted(settings.persisted_documents))
    policies = parse_policies(settings.persisted_policies, settings.persisted_default)
    store = make_apq_store(
        settings.redis_url,
        prefix=settings.apq_prefix,
        ttl_seconds=settings.apq_ttl,
        max_entries=settings.apq_max_entries,
    )
    return PersistedDocuments(store, trusted, policies=policies, apq_enabled=settings.apq_enabled)


def documents_of_file(text: str) -> list[TrustedDocument]:
    """The trusted documents of a `.graphql` file: one per operation.

    A file of one operation is kept as written (surrounding whitespace trimmed), so the client
    sends the text it was written in; with several, each operation is printed (graphql-core's
    printer) with the fragments it uses.

    Raises:
        GraphQLError: the file does not parse.
        ValueError: the file holds no operation.
    """
    document = parse(text)
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if not operations:
        raise ValueError("no operation in the document")
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    out = []
    for op in operations:
        if len(operations) == 1:
            body = text.strip()
        else:
            used = _fragments_used(op, fragments)
            body = print_ast(DocumentNode(definitions=(op, *used)))
        name = op.name.value if op.name else None
        out.append(TrustedDocument(sha256_hex(body), body, name, op.operation.value))
    return out


def _fragments_used(
    node: Node, fragments: Mapping[str, FragmentDefinitionNode]
) -> list[FragmentDefinitionNode]:
    seen: dict[str, FragmentDefinitionNode] = {}
    pending: list[Node] = [node]
    while pending:
        current = pending.pop()
        selection_set = getattr(current, "selection_set", None)
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in fragments and name not in seen:
                    seen[name] = fragments[name]
                    pending.append(fragments[name])
            else:
                pending.append(selection)
    return sorted(seen.values(), key=lambda f: f.name.value)


def manifest_problems(documents: Iterable[TrustedDocument], schema: GraphQLSchema) -> list[str]:
    """What is wrong with a manifest's documents against the schema (empty when all is well)."""
    problems: list[str] = []
    names: dict[str, str] = {}
    for doc in documents:
        label = f"{doc.name or '(anonymous)'} {doc.id[:12]}"
        try:
            parsed = parse(doc.body)
        except GraphQLError as err:
            problems.append(f"{label}: {err.message}")
            continue
        operations = [d for d in parsed.definitions if isinstance(d, OperationDefinitionNode)]
        if len(operations) != 1:
            problems.append(f"{label}: {len(operations)} operations (a document runs one)")
        problems += [f"{label}: {err.message}" for err in validate(schema, parsed)]
        if doc.name and names.setdefault(doc.name, doc.id) != doc.id:
            problems.append(f"{label}: the name {doc.name} is used by another document")
    return problems
