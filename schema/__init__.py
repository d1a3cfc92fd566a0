"""The single typed schema: root types composed from each feature's mixins."""

from __future__ import annotations

import strawberry
from strawberry.extensions import (
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig

from schema.accounts.api_keys import ApiKeyMutations, ApiKeyQueries
from schema.accounts.mutations import AccountMutations
from schema.accounts.profiles import ProfileMutations, ProfileQueries
from schema.accounts.queries import AccountQueries
from schema.accounts.two_factor import TwoFactorMutations
from schema.alerts.operations import AlertMutations, AlertQueries, AlertSubscriptions
from schema.analytics.patterns import PatternQueries
from schema.analytics.technical import AnalyticsQueries
from schema.backtests.operations import BacktestMutations, BacktestQueries
from schema.budget import Budget, cost_extension
from schema.cost import MAX_QUERY_COST, check_weights
from schema.errors import ErrorExtension, MaskedErrorExtension
from schema.execution import SharedEventExecutor
from schema.fundamentals.queries import FundamentalQueries
from schema.introspection import IntrospectionByRole
from schema.limits import LIMIT_EXTENSIONS
from schema.markets.queries import MarketQueries
from schema.markets.subscriptions import MarketSubscriptions
from schema.news.queries import NewsQueries
from schema.news.subscriptions import NewsSubscriptions
from schema.observability import OperationObserver, observability_extension
from schema.portfolios.mutations import PortfolioMutations
from schema.portfolios.queries import PortfolioQueries
from schema.routing import ReadYourWrites
from schema.scalars import SCALARS
from schema.screening.operations import ScreeningMutations, ScreeningQueries
from schema.timeouts import DEFAULT_TIMEOUT, execution_timeout


@strawberry.type(description="Read the market and your account.")
class Query(
    MarketQueries,
    AnalyticsQueries,
    PatternQueries,
    FundamentalQueries,
    ScreeningQueries,
    AccountQueries,
    ApiKeyQueries,
    ProfileQueries,
    AlertQueries,
    BacktestQueries,
    PortfolioQueries,
    NewsQueries,
):
    pass


@strawberry.type(description="Change your account.")
class Mutation(
    AccountMutations,
    ApiKeyMutations,
    TwoFactorMutations,
    ProfileMutations,
    AlertMutations,
    ScreeningMutations,
    BacktestMutations,
    PortfolioMutations,
):
    pass


@strawberry.type(description="Follow the market live (over WebSocket).")
class Subscription(MarketSubscriptions, AlertSubscriptions, NewsSubscriptions):
    pass


def build_schema(
    *,
    production: bool = False,
    introspection: bool = True,
    max_cost: int = MAX_QUERY_COST,
    budget: Budget | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    observer: OperationObserver | None = None,
    resolver_sample_rate: float = 0.0,
) -> strawberry.Schema:
    """The schema with the extensions for an environment.

    `max_cost` bounds an operation's estimated cost; `budget` (api/ratelimit.py) rate-limits
    callers by cost (schema/cost.py); `timeout` bounds execution in seconds (schema/timeouts.py);
    `observer` receives every operation's report, `resolver_sample_rate` of them with resolver
    timings (schema/observability.py).
    """
    # Off: only the partner tiers and admins introspect (schema/introspection.py).
    extra: list[type[SchemaExtension]] = [] if introspection else [IntrospectionByRole]
    built = strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        execution_context_class=SharedEventExecutor,
        config=StrawberryConfig(disable_field_suggestions=production, scalar_map=SCALARS),
        extensions=[
            # First, so it sees the errors as the others leave them (exits run in reverse).
            observability_extension(observer, sample_rate=resolver_sample_rate),
            MaskedErrorExtension if production else ErrorExtension,
            *LIMIT_EXTENSIONS,
            # Factories: the caches themselves live at module level, shared by requests.
            lambda: ParserCache(maxsize=512),
            lambda: ValidationCache(maxsize=512),
            *extra,
            cost_extension(max_cost, budget),
            execution_timeout(timeout),
            ReadYourWrites,
        ],
    )
    check_weights(built._schema)
    return built


schema = build_schema()

__all__ = ["Mutation", "Query", "Subscription", "build_schema", "schema"]
