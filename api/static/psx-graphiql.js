// GraphiQL for PSX Analytics partners: loaded by the page api/graphiql.py renders, after
// React, ReactDOM, GraphiQL and graphql-ws (self-hosted under /graphiql-assets/ or from the CDN).
// Kept out of the HTML so the page's Content-Security-Policy allows no inline script.
(function () {
  "use strict";

  var EXAMPLES = [
    {
      query:
        "# A quote: last trade, change, the day's circuit limits. Public market data needs no\n" +
        "# token; for your own data put {\"Authorization\": \"Bearer <access token>\"} in Headers.\n" +
        "query Quote($symbol: String!) {\n" +
        "  quote(symbol: $symbol) {\n" +
        "    symbol last change changePercent volume upperLimit lowerLimit\n" +
        "    instrument { name sector { name } }\n" +
        "  }\n" +
        "}\n",
      variables: '{\n  "symbol": "OGDC"\n}\n',
    },
    {
      query:
        "# Hourly candles (PSX sessions, Asia/Karachi), back-adjusted for corporate actions.\n" +
        "query Chart($symbol: String!) {\n" +
        "  chart(symbol: $symbol, interval: H1, limit: 50, adjusted: true) {\n" +
        "    symbol interval\n" +
        "    candles { ts open high low close volume }\n" +
        "  }\n" +
        "}\n",
      variables: '{\n  "symbol": "HUBC"\n}\n',
    },
    {
      query:
        "# Indicators over daily candles: one value per candle, null while warming up.\n" +
        "query Technical($symbol: String!) {\n" +
        "  technical(\n" +
        "    symbol: $symbol\n" +
        "    interval: D1\n" +
        "    limit: 60\n" +
        "    indicators: [{ kind: RSI, period: 14 }, { kind: MACD }, { kind: BBANDS, period: 20 }]\n" +
        "  ) {\n" +
        "    series { kind label output values }\n" +
        "  }\n" +
        "}\n",
      variables: '{\n  "symbol": "LUCK"\n}\n',
    },
    {
      query:
        "# Live quotes over WebSocket (graphql-transport-ws); press run, then stop.\n" +
        "subscription Quotes($symbols: [String!]!) {\n" +
        "  quotes(symbols: $symbols) { symbol last change volume }\n" +
        "}\n",
      variables: '{\n  "symbols": ["OGDC", "HUBC"]\n}\n',
    },
  ];

  var url = window.location.origin + window.location.pathname;
  var wsUrl = url.replace(/^http/, "ws");

  // HTTP operations carry the headers editor's headers; a subscription's socket carries its
  // Authorization header in connection_init, as the server reads it (api/graphql.py).
  var http = GraphiQL.createFetcher({ url: url });
  var socket = null;
  var socketAuth = null;

  function socketFor(auth) {
    if (socket === null || socketAuth !== auth) {
      if (socket !== null) socket.dispose();
      socketAuth = auth;
      socket = graphqlWs.createClient({
        url: wsUrl,
        lazy: true,
        connectionParams: auth ? { authorization: auth } : {},
      });
    }
    return socket;
  }

  function isSubscription(params, opts) {
    var doc = opts && opts.documentAST;
    if (doc && doc.definitions) {
      return doc.definitions.some(function (d) {
        return (
          d.kind === "OperationDefinition" &&
          d.operation === "subscription" &&
          (!params.operationName || (d.name && d.name.value === params.operationName))
        );
      });
    }
    return /^\s*subscription\b/m.test((params.query || "").replace(/#.*$/gm, ""));
  }

  function fetcher(params, opts) {
    if (!isSubscription(params, opts)) return http(params, opts);
    var headers = (opts && opts.headers) || {};
    var auth = headers.Authorization || headers.authorization || null;
    var client = socketFor(auth);
    return {
      subscribe: function (observer) {
        var stop = client.subscribe(params, {
          next: function (value) { observer.next(value); },
          error: function (err) {
            observer.error(err instanceof Error ? err : new Error(describe(err)));
          },
          complete: function () { observer.complete(); },
        });
        return { unsubscribe: stop };
      },
    };
  }

  function describe(err) {
    if (err && typeof err.code === "number") return "WebSocket closed: " + err.code + " " + (err.reason || "");
    try { return JSON.stringify(err); } catch (e) { return String(err); }
  }

  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultTabs: EXAMPLES,
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
      inputValueDeprecation: true,
    })
  );
})();
