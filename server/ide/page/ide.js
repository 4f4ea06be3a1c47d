// 民呼 GraphQL IDE: GraphiQL from this origin, a token pasted once for the tab, the README's examples.
// Everything the page loads comes from this server (see server/ide/__init__.py); so does the schema.
"use strict";

(() => {
  const TOKEN_KEY = "minhu.token"; // the console's key: one sign-in serves both pages in a tab
  const state = { token: "" };
  const $ = (id) => document.getElementById(id);

  function showError(message) {
    $("error").textContent = message ? `出错了：${message}` : "";
    $("error").hidden = !message;
  }

  if (!window.React || !window.ReactDOM || !window.GraphiQL || !window.GraphiQLPluginExplorer) {
    // A vendored file did not load: the server answers 503 with what to run when npm ci never ran.
    $("graphiql").textContent = "GraphiQL 的脚本没有加载：请在服务器上运行 make setup（npm ci --prefix server/ide/page）。";
    $("graphiql").removeAttribute("aria-busy");
    return;
  }

  const h = React.createElement;
  const GraphQL = GraphiQL.GraphQL;
  const { useEditorContext, useExecutionContext } = GraphiQL.React;
  const EXAMPLES = JSON.parse($("examples").textContent || "[]");

  // ---- the token ------------------------------------------------------------------------------

  // The signed-in token goes into every request unless the headers editor names its own.
  function withToken(headers) {
    const merged = { ...(headers || {}) };
    const named = Object.keys(merged).some((name) => name.toLowerCase() === "authorization");
    if (state.token && !named) merged.Authorization = `Bearer ${state.token}`;
    return merged;
  }

  const endpoint = new URL("/graphql", window.location.href);
  const socket = new URL(endpoint.href);
  socket.protocol = endpoint.protocol === "https:" ? "wss:" : "ws:";
  // Subscriptions go over graphql-transport-ws to the same path; GraphiQL's fetcher opens a
  // graphql-ws client per subscription with the request's headers as the connection_init payload,
  // which is where the server reads a WebSocket's token (resolvers/kernel/context.py).
  const graphiqlFetcher = GraphiQL.createFetcher({ url: endpoint.href, subscriptionUrl: socket.href });
  const fetcher = (params, options = {}) => graphiqlFetcher(params, { ...options, headers: withToken(options.headers) });

  async function whoIs(token) {
    const response = await fetch(endpoint.href, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json", Authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: "{ me { role scopeId subject } }" }),
    });
    let body;
    try {
      body = await response.json();
    } catch {
      throw new Error(`服务器答复无法读取（HTTP ${response.status}）`);
    }
    if (body.errors && body.errors.length) {
      throw new Error(body.errors.map((e) => `${e.message}（${(e.extensions || {}).code || "ERROR"}）`).join("；"));
    }
    return body.data.me;
  }

  async function signIn(token) {
    const trimmed = token.trim();
    let me;
    try {
      me = await whoIs(trimmed);
    } catch (error) {
      signOut();
      throw error;
    }
    state.token = trimmed;
    sessionStorage.setItem(TOKEN_KEY, trimmed);
    $("token").value = "";
    $("viewer").textContent = `已登录：${me.role}${me.scopeId ? ` · 辖区 ${me.scopeId}` : " · 全市"}（请求带上 Authorization 头；订阅在 connection_init 里带上）`;
    $("viewer").dataset.role = me.role;
    $("sign-out").hidden = false;
  }

  function signOut() {
    state.token = "";
    sessionStorage.removeItem(TOKEN_KEY);
    $("viewer").textContent = "未登录：公开的数据不需要令牌；其余请粘贴令牌";
    delete $("viewer").dataset.role;
    $("sign-out").hidden = true;
  }

  $("sign-in").addEventListener("submit", (event) => {
    event.preventDefault();
    showError(null);
    signIn($("token").value).catch((error) => showError(error.message));
  });
  $("sign-out").addEventListener("click", () => {
    showError(null);
    signOut();
  });
  const kept = sessionStorage.getItem(TOKEN_KEY);
  if (kept) signIn(kept).catch((error) => showError(`保存的令牌不能用了：${error.message}`));

  // ---- the README's examples ------------------------------------------------------------------

  const wantedText = (query) => GraphQL.print(GraphQL.parse(query));

  function ExamplesPanel() {
    const editor = useEditorContext({ nonNull: true });
    const execution = useExecutionContext({ nonNull: true });
    const latest = React.useRef(null);
    latest.current = { editor, execution };
    const [pending, setPending] = React.useState(null);

    // A new tab first shows GraphiQL's empty document; the example goes in once the tab is there.
    React.useEffect(() => {
      if (!pending || editor.tabs.length <= pending.tabsBefore || !editor.queryEditor) return;
      editor.queryEditor.setValue(pending.example.query);
      if (editor.variableEditor) editor.variableEditor.setValue("");
      setPending(null);
      if (!pending.run) return;
      // GraphiQL reads the operation from the editor's parsed document, updated just after an
      // edit: run once it is this example's, so a name from the tab before is never sent.
      const wanted = wantedText(pending.example.query);
      const step = () => {
        const { editor: now, execution: run } = latest.current;
        const parsed = now.queryEditor && now.queryEditor.documentAST;
        if (parsed && GraphQL.print(parsed) === wanted) run.run();
        else window.requestAnimationFrame(step);
      };
      window.requestAnimationFrame(step);
    }, [pending, editor.tabs.length, editor.queryEditor]);

    const open = (example, run) => {
      setPending({ example, run, tabsBefore: editor.tabs.length });
      editor.addTab();
    };

    const items = EXAMPLES.map((example, index) => {
      const needs = example.token
        ? h("p", { className: "minhu-needs-token" }, `需要令牌：${example.token.role}${example.token.scope ? ` · ${example.token.scope}` : ""}。签发：`, h("code", null, example.token.command))
        : h("p", { className: "minhu-public" }, "公开数据，不需要令牌。");
      return h(
        "li",
        { key: index, "data-example": String(index) },
        h("h3", null, example.title),
        needs,
        h("pre", null, example.query),
        h(
          "div",
          { className: "minhu-actions" },
          h("button", { type: "button", className: "minhu-run", onClick: () => open(example, true), "aria-label": `运行：${example.title}` }, "运行"),
          h("button", { type: "button", onClick: () => open(example, false), "aria-label": `在新标签页打开：${example.title}` }, "在新标签页打开"),
        ),
      );
    });
    return h(
      "section",
      { className: "minhu-examples", "aria-labelledby": "minhu-examples-title" },
      h("h2", { id: "minhu-examples-title" }, "README 示例"),
      h("p", null, "README.md 里的查询，在演示数据上都能答出。“运行”在新标签页里打开并执行。"),
      items.length ? h("ol", null, items) : h("p", null, "服务器上没有 README.md，没有示例。"),
    );
  }

  const ExamplesIcon = () => h("span", { className: "minhu-examples-icon", "aria-hidden": "true" }, "例");
  const examplesPlugin = { title: "README 示例", icon: ExamplesIcon, content: ExamplesPanel };
  const explorerPlugin = GraphiQLPluginExplorer.explorerPlugin();
  const welcome = [
    "# 民呼 GraphQL：左边“README 示例”里的查询，点“运行”即可；需要令牌的，先在上方粘贴令牌登录。",
    "# Run the README's examples from the panel on the left; sign in above with a token from `minhu token`.",
    "",
  ].join("\n");

  ReactDOM.createRoot($("graphiql")).render(
    h(GraphiQL, {
      fetcher,
      plugins: [examplesPlugin, explorerPlugin],
      defaultQuery: welcome + (EXAMPLES.length ? EXAMPLES[0].query : "{ __typename }\n"),
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
      // Headers typed into the editor (a token, say) stay in the tab's memory, never in localStorage.
      shouldPersistHeaders: false,
      showPersistHeadersSettings: false,
      inputValueDeprecation: true,
    }),
  );
  $("graphiql").removeAttribute("aria-busy");

  // The examples open beside the editor at first. GraphiQL 4's `visiblePlugin` prop marks a plugin
  // visible but leaves its pane folded, so the sidebar's own button opens it, once it is drawn.
  const opener = new MutationObserver(() => {
    const button = document.querySelector(`.graphiql-sidebar button[aria-label="Show ${examplesPlugin.title}"]`);
    if (!button) return;
    opener.disconnect();
    button.click();
  });
  opener.observe($("graphiql"), { childList: true, subtree: true });
})();
