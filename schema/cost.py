"""Query cost: a static estimate from the document, the actual cost from the result.

The rules follow the IBM GraphQL cost directive spec as Apollo Router and Shopify apply it:
- an object (or interface) field costs 1, a scalar or enum field 0;
- a root mutation field costs MUTATION_COST (it runs a transaction);
- a list multiplies what it selects by its size: the slicing argument (`first`, `limit`) when
  given (its default otherwise), clamped to the most the resolver accepts; `edges`, `nodes`
  and `candles` inherit the size of the field they sit under (a connection or a chart); any
  other list assumes LIST_SIZES or DEFAULT_LIST_SIZE items;
- declared weights replace the object cost of expensive fields (FIELD_WEIGHTS, keyed
  "Type.field") and of bulk rows computed in one read (TYPE_WEIGHTS: a candle or curve point
  is 0, its series is charged on the field that produces it);
- introspection costs INTROSPECTION_COST, `__typename` nothing.

The actual cost walks the same selections over the response data, so lists count their real
lengths and null objects nothing. Arguments are read with the operation's coerced variables.
schema/budget.py refuses an operation over the maximum and keeps the callers' budgets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    BooleanValueNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_composite_type,
    value_from_ast,
)
from graphql.execution.values import VariableValues, get_variable_values
from graphql.type.definition import GraphQLInterfaceType, GraphQLUnionType

from domain.pagination import DEFAULT_PAGE, MAX_PAGE

OBJECT_COST = 1
MUTATION_COST = 10
INTROSPECTION_COST = 10
DEFAULT_LIST_SIZE = 10
MAX_QUERY_COST = 1_000
# A slicing argument: (default when omitted, the most a resolver accepts).
SLICING_ARGUMENTS: dict[str, tuple[int, int]] = {
    "first": (DEFAULT_PAGE, MAX_PAGE),
    "limit": (1_000, 10_000),
}
SIZED_FIELDS = frozenset({"edges", "nodes", "candles"})
# Expensive fields: the weight replaces the object cost (children still add theirs).
FIELD_WEIGHTS: dict[str, int] = {
    "Query.chart": 2,
    "Query.technical": 5,
    "Query.patterns": 10,
    "Query.screen": 10,
    "Query.heatmap": 5,
    "Query.fundamentals": 2,
    "Portfolio.performance": 10,
    "Portfolio.risk": 10,
    "Mutation.runBacktest": 100,
    "Mutation.refreshScreener": 50,
    "Mutation.importTransactions": 20,
    "Mutation.register": 20,  # a password hash
    "Mutation.login": 20,
    "Mutation.changePassword": 20,
    "Mutation.resetPassword": 20,
}
# Rows of one series, computed in one read: charged on the field that produces the series.
TYPE_WEIGHTS: dict[str, int] = {
    "Candle": 0,
    "EquityPoint": 0,
    "PerformancePoint": 0,
    "BenchmarkPoint": 0,
    "PeriodReturn": 0,
}
# Lists without a slicing argument whose usual size is known.
LIST_SIZES: dict[str, int] = {
    "Query.indices": 20,
    "Query.sectors": 40,
    "Query.screenFields": 40,
    "Query.portfolios": 5,
    "Query.watchlists": 5,
    "Query.quotes": 20,
    "Portfolio.positions": 20,
    "Index.constituents": 30,
    "Backtest.trades": 50,
}


def _variables(
    schema: GraphQLSchema, operation: OperationDefinitionNode, raw: Mapping[str, Any] | None
) -> dict[str, Any]:
    coerced = get_variable_values(schema, operation.variable_definitions or (), dict(raw or {}))
    return dict(coerced.coerced) if isinstance(coerced, VariableValues) else {}


def _included(node: Any, variables: dict[str, Any]) -> bool:
    for directive in node.directives or ():
        name = directive.name.value
        if name not in {"skip", "include"}:
            continue
        arg = next((a for a in directive.arguments if a.name.value == "if"), None)
        if arg is None:
            continue
        value = arg.value
        flag = (
            bool(variables.get(value.name.value))
            if isinstance(value, VariableNode)
            else isinstance(value, BooleanValueNode) and value.value
        )
        if flag == (name == "skip"):
            return False
    return True


Owner = GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType


class _Walk:
    """One cost walk of an operation, over the schema or over the response data."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        # Per (owner, selection sets): the same sets are collected once for every item of a
        # list, and whether they select nothing that costs (scalars, enums, __typename).
        self._collected: dict[tuple[int, ...], dict[str, tuple[Owner, list[FieldNode]]]] = {}
        self._free: dict[tuple[int, ...], bool] = {}

    def collect(
        self, owner: Owner, selection_sets: list[SelectionSetNode]
    ) -> dict[str, tuple[Owner, list[FieldNode]]]:
        """The fields of the selection sets by response key, fragments followed."""
        key = (id(owner), *map(id, selection_sets))
        found = self._collected.get(key)
        if found is None:
            found = self._collected[key] = self._collect(owner, selection_sets)
        return found

    def free(self, owner: Owner, selection_sets: list[SelectionSetNode]) -> bool:
        """Whether the selection sets select only fields that cost nothing at any data."""
        key = (id(owner), *map(id, selection_sets))
        found = self._free.get(key)
        if found is None:
            found = self._free[key] = all(
                self._costless(kind, nodes[0].name.value)
                for kind, nodes in self.collect(owner, selection_sets).values()
            )
        return found

    @staticmethod
    def _costless(owner: Owner, name: str) -> bool:
        if name.startswith("__"):
            return name == "__typename"
        definition = getattr(owner, "fields", {}).get(name)
        return definition is None or not is_composite_type(get_named_type(definition.type))

    def _collect(
        self, owner: Owner, selection_sets: list[SelectionSetNode]
    ) -> dict[str, tuple[Owner, list[FieldNode]]]:
        out: dict[str, tuple[Owner, list[FieldNode]]] = {}
        seen: set[str] = set()

        def add(kind: Owner, selections: SelectionSetNode) -> None:
            for selection in selections.selections:
                if not _included(selection, self.variables):
                    continue
                if isinstance(selection, FieldNode):
                    key = selection.alias.value if selection.alias else selection.name.value
                    out.setdefault(key, (kind, []))[1].append(selection)
                elif isinstance(selection, InlineFragmentNode):
                    add(self._condition(kind, selection.type_condition), selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = self.fragments.get(name)
                    if fragment is None or name in seen:
                        continue
                    seen.add(name)
                    add(self._condition(kind, fragment.type_condition), fragment.selection_set)

        for selection_set in selection_sets:
            add(owner, selection_set)
        return out

    def _condition(self, kind: Owner, condition: Any) -> Owner:
        if condition is None:
            return kind
        found = self.schema.get_type(condition.name.value)
        ok = isinstance(found, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType)
        return found if ok else kind  # type: ignore[return-value]

    def selections(
        self,
        owner: Owner,
        sets: list[SelectionSetNode],
        size: int | None,
        data: Any,
        *,
        estimate: bool,
    ) -> int:
        total = 0
        for key, (kind, nodes) in self.collect(owner, sets).items():
            if not estimate:
                if not isinstance(data, dict) or key not in data:
                    continue
                total += self.field(kind, nodes, size, data[key], estimate=False)
            else:
                total += self.field(kind, nodes, size, None, estimate=True)
        return total

    def field(
        self,
        owner: Owner,
        nodes: list[FieldNode],
        inherited: int | None,
        value: Any,
        *,
        estimate: bool,
    ) -> int:
        node = nodes[0]
        name = node.name.value
        if name.startswith("__"):
            return 0 if name == "__typename" else INTROSPECTION_COST
        fields = getattr(owner, "fields", {})
        definition = fields.get(name)
        if definition is None:
            return 0
        named = get_named_type(definition.type)
        if not is_composite_type(named):
            return 0
        key = f"{owner.name}.{name}"
        own = FIELD_WEIGHTS.get(key, TYPE_WEIGHTS.get(named.name, OBJECT_COST))
        if owner is self.schema.mutation_type:
            own = max(own, MUTATION_COST)
        size = self._slice(definition, node)
        sets = [n.selection_set for n in nodes if n.selection_set is not None]
        if _is_list(definition.type):
            count = size or (inherited if name in SIZED_FIELDS else None)
            if not estimate:
                items = value if isinstance(value, list) else []
                if self.free(named, sets):
                    return own * sum(1 for item in items if item is not None)
                return sum(
                    own + self.selections(named, sets, None, item, estimate=False)
                    for item in items
                    if item is not None
                )
            count = count if count is not None else LIST_SIZES.get(key, DEFAULT_LIST_SIZE)
            return count * (own + self.selections(named, sets, None, None, estimate=True))
        if not estimate and value is None:
            return 0
        return own + self.selections(named, sets, size, value, estimate=estimate)

    def _slice(self, definition: Any, node: FieldNode) -> int | None:
        for name, (default, most) in SLICING_ARGUMENTS.items():
            arg = definition.args.get(name)
            if arg is None:
                continue
            given = next((a for a in node.arguments or () if a.name.value == name), None)
            value = None if given is None else value_from_ast(given.value, arg.type, self.variables)
            if not isinstance(value, int) or isinstance(value, bool):
                value = default
            return min(max(value, 0), most)
        return None


def _is_list(kind: GraphQLOutputType) -> bool:
    inner = kind.of_type if isinstance(kind, GraphQLNonNull) else kind
    return isinstance(inner, GraphQLList)


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name:
        operations = [o for o in operations if o.name is not None and o.name.value == name]
    return operations[0] if len(operations) == 1 else None


def _walk(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    data: Any,
    *,
    estimate: bool,
) -> int:
    operation = _operation(document, operation_name)
    if operation is None:
        return 0
    root = {
        OperationType.QUERY: schema.query_type,
        OperationType.MUTATION: schema.mutation_type,
        OperationType.SUBSCRIPTION: schema.subscription_type,
    }[operation.operation]
    if root is None:
        return 0
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    walk = _Walk(schema, fragments, _variables(schema, operation, variables))
    return walk.selections(root, [operation.selection_set], None, data, estimate=estimate)


def estimate_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None = None,
    variables: Mapping[str, Any] | None = None,
) -> int:
    """The most an operation can cost: every list at the size it asks for (or assumes)."""
    return _walk(schema, document, operation_name, variables, None, estimate=True)


def actual_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    data: Mapping[str, Any] | None,
    operation_name: str | None = None,
    variables: Mapping[str, Any] | None = None,
) -> int:
    """What an operation cost: the same rules over what was resolved (real list lengths)."""
    if data is None:
        return 0
    return _walk(schema, document, operation_name, variables, dict(data), estimate=False)


def check_weights(schema: GraphQLSchema) -> None:
    """Fail at start-up when a declared weight names no field or type of the schema."""
    for key in (*FIELD_WEIGHTS, *LIST_SIZES):
        type_name, _, field = key.partition(".")
        kind = schema.get_type(type_name)
        if field not in getattr(kind, "fields", {}):
            raise ValueError(f"cost weight for unknown field {key}")
    for name in TYPE_WEIGHTS:
        if schema.get_type(name) is None:
            raise ValueError(f"cost weight for unknown type {name}")
