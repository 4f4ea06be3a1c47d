// Subscribes with graphql-ws, the reference graphql-transport-ws client (the one Apollo Client, urql
// and Relay use), and reports what it receives, for tests/support/ws_clients.py to read.
//
//   node subscribe.mjs '{"url": "ws://127.0.0.1:8000/graphql",
//                        "subscriptions": [{"name": "street", "token": "…", "query": "subscription …", "variables": {}}]}'
//
// Each subscription gets a client (a connection) of its own, its token in `connection_init` as
// `Authorization: Bearer …`. One JSON object per line on stdout:
//   {"name": …, "kind": "connected"}                 the server acknowledged the connection
//   {"name": …, "kind": "ping"}                      the server pinged (graphql-ws answers with a pong)
//   {"name": …, "kind": "next", "payload": {…}}      a result (data and/or errors)
//   {"name": …, "kind": "error", "error": "…"}       the client gave up on the subscription
//   {"name": …, "kind": "complete"}                  the server completed it
//   {"name": …, "kind": "closed", "code": n, "reason": "…"}
// Runs until stdin closes, then disposes every client and exits 0.
import { createClient } from "graphql-ws";
import WebSocket from "ws"; // Node 20 has no global WebSocket

const spec = JSON.parse(process.argv[2]);
const say = (line) => process.stdout.write(JSON.stringify(line) + "\n");

function describe(error) {
  if (error instanceof Error) return error.message;
  if (error && typeof error === "object" && "code" in error) return `close ${error.code}: ${error.reason}`;
  if (Array.isArray(error)) return error.map((e) => e.message).join("; ");
  return String(error);
}

const clients = spec.subscriptions.map(({ name, token, query, variables }) => {
  const client = createClient({
    url: spec.url,
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${token}` },
    retryAttempts: 0, // a failure is reported, never hidden behind a reconnect
    on: {
      connected: () => say({ name, kind: "connected" }),
      ping: (received) => received && say({ name, kind: "ping" }), // the client answers it with a pong
      closed: (event) => say({ name, kind: "closed", code: event?.code, reason: event?.reason }),
    },
  });
  client.subscribe(
    { query, variables: variables ?? {} },
    {
      next: (payload) => say({ name, kind: "next", payload }),
      error: (error) => say({ name, kind: "error", error: describe(error) }),
      complete: () => say({ name, kind: "complete" }),
    },
  );
  return client;
});

process.stdin.resume();
process.stdin.on("end", async () => {
  await Promise.all(clients.map((client) => client.dispose()));
  process.exit(0);
});
