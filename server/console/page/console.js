// 民呼 coordinators' console: everything it shows comes from the public GraphQL API on this
// origin, asked with the coordinator's own token, so the API's scope and masking rules hold here too.
"use strict";

// Each queue: which needs, and whether its overdue ones come first (two lists, read in turn).
const QUEUES = {
  waiting: { base: { status: ["SUBMITTED", "DECLINED", "ESCALATED"] }, overdueFirst: true },
  handling: { base: { status: ["DISPATCHED", "ACCEPTED", "IN_PROGRESS", "REOPENED", "SUSPENDED"] }, overdueFirst: true },
  overdue: { base: { overdue: true }, overdueFirst: false },
};
const PAGE_SIZE = 20;
// A closed network can hang a request for minutes: past this the panel says so and offers a retry.
const REQUEST_TIMEOUT_MS = 60_000;
// The layout runs in a Web Worker; past this budget it stops and the caption says it was cut short.
// #graph's data-layout-budget-ms overrides it.
const LAYOUT = { ticks: 300, budgetMs: 4000, width: 760, height: 460 };
const DISPATCHABLE = new Set(QUEUES.waiting.base.status);
const STATUS_NAMES = {
  SUBMITTED: "待派单", DECLINED: "被退回", ESCALATED: "已吹哨", DISPATCHED: "已派单", ACCEPTED: "已接单",
  IN_PROGRESS: "办理中", REOPENED: "重新办理", SUSPENDED: "已挂起", COMPLETED: "已办结", EVALUATED: "已评价",
  CANCELLED: "已撤销",
};
const KIND_NAMES = { MEMBER: "党员志愿者", UNIT: "驻区单位", VENUE: "场地", FUNDING: "资金项目" };
const TYPE_NAMES = {
  Need: "诉求", Community: "社区", Street: "街道", District: "区县", Compound: "小区", Member: "党员",
  Unit: "单位", Offering: "服务", Venue: "场地", FundingProgram: "资金项目", Grant: "资助", Category: "类别",
  Skill: "技能", Assignment: "派单", Project: "项目", Booking: "预约", Facility: "设施", NeedEvent: "事件",
  Evaluation: "评价", DispatchPlan: "派单方案", PracticalMatter: "实事", Department: "部门", PropertyFirm: "物业企业",
  WhistleCall: "吹哨",
};
const TIME = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
});

// The overdue needs of a queue, then the rest: a page reads on from where the last one stopped.
const QUEUE_QUERY = `query ConsoleQueue($overdue: NeedFilter!, $rest: NeedFilter!, $firstOverdue: Int!,
    $afterOverdue: String, $firstRest: Int!, $afterRest: String, $withRest: Boolean!, $withCategories: Boolean!) {
  overdue: needs(first: $firstOverdue, after: $afterOverdue, filter: $overdue) { ...QueuePart }
  rest: needs(first: $firstRest, after: $afterRest, filter: $rest) @include(if: $withRest) { ...QueuePart }
  categories(first: 100) @include(if: $withCategories) { edges { node { code name } } }
}
fragment QueuePart on NeedConnection {
  totalCount pageInfo { hasNextPage }
  edges { cursor node { id number title status overdue createdAt category { name } community { id name } } }
}`;
const NEED_QUERY = `query ConsoleNeed($id: ID!) {
  node(id: $id) { ... on Need { id number title description status overdue urgency createdAt responseDeadline
    category { name } community { id name } } }
}`;
const CANDIDATES_QUERY = `query ConsoleCandidates($id: ID!) {
  matchCandidates(needId: $id, first: 8) {
    kind score reason
    resource { __typename ... on Member { id name } ... on Offering { id title unit { name } }
      ... on Venue { id name } ... on FundingProgram { id name } }
  }
}`;
const DISPATCH_MUTATION = `mutation ConsoleDispatch($input: DispatchNeedInput!) {
  dispatchNeed(input: $input) { replayed need { id status } assignment { id handler { id } } }
}`;
const NAMES = `__typename id ... on Need { title } ... on Community { name } ... on Street { name }
  ... on District { name } ... on Compound { name } ... on Member { name } ... on Unit { name }
  ... on Offering { title } ... on Venue { name } ... on FundingProgram { name } ... on Category { name }
  ... on Skill { name } ... on Project { title } ... on Facility { name } ... on NeedEvent { type }
  ... on PracticalMatter { title } ... on Department { name } ... on PropertyFirm { name }`;
const GRAPH_QUERY = `query ConsoleNeighbourhood($id: ID!, $hops: Int!) {
  neighbourhood(id: $id, hops: $hops, first: 80) {
    truncated centre { ${NAMES} } nodes { ${NAMES} } relationships { type fromId toId }
  }
}`;
const REVIEW_QUERY = `query ConsoleReview($placeId: ID!, $quarter: String) {
  needClasses(placeId: $placeId, quarter: $quarter, first: 12) {
    quarter count previousCount yearAgoCount change words category { name } community { name }
  }
}`;

const state = {
  token: "",
  viewer: null,
  queue: { name: "waiting", category: "", text: "", pages: [{ segment: "overdue", after: null }], offsets: [0], index: 0 },
  categoriesLoaded: false,
  need: null,
  centre: null,
};
const $ = (id) => document.getElementById(id);

function element(tag, text, attributes = {}) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

function when(value) {
  return value ? TIME.format(new Date(value)) : "—";
}

// A long name shown cut at a word's end, so what the eye reads is the start of what a screen reader
// hears (the node's aria-label says all of it).
const WORDS = typeof Intl.Segmenter === "function" ? new Intl.Segmenter("zh-CN", { granularity: "word" }) : null;

function shortened(text, most = 14) {
  if (text.length <= most || !WORDS) return text.slice(0, most);
  let kept = "";
  for (const { segment } of WORDS.segment(text)) {
    if (kept.length + segment.length > most) break;
    kept += segment;
  }
  return kept || text.slice(0, most);
}

function label(node) {
  if (node.name || node.title) return node.name || node.title;
  if (node.type) return `事件 ${node.type}`;
  return `${TYPE_NAMES[node.__typename] || node.__typename} ${node.id.split(":").pop().slice(0, 8)}`;
}

class ApiError extends Error {
  constructor(errors) {
    super(errors.map((e) => `${e.message}${e.extensions && e.extensions.code ? `（${e.extensions.code}）` : ""}`).join("；"));
    this.codes = errors.map((e) => (e.extensions || {}).code);
  }
}

async function graphql(query, variables = {}) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), REQUEST_TIMEOUT_MS);
  let response;
  let body;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/graphql-response+json, application/json",
        Authorization: `Bearer ${state.token}`,
      },
      body: JSON.stringify({ query, variables }),
      signal: abort.signal,
    });
    body = await response.json();
  } catch (error) {
    if (abort.signal.aborted) throw new ApiError([{ message: `服务器 ${REQUEST_TIMEOUT_MS / 1000} 秒没有答复（网络慢或断了）` }]);
    if (!response) throw new ApiError([{ message: "连不上服务器（网络断了，或服务器没有运行）" }]);
    throw new ApiError([{ message: `服务器答复无法读取（HTTP ${response.status}）` }]);
  } finally {
    clearTimeout(timer);
  }
  if (body.errors && body.errors.length) throw new ApiError(body.errors);
  return body.data;
}

function showError(error) {
  const box = $("error");
  box.textContent = error ? `出错了：${error.message}` : "";
  box.hidden = !error;
}

async function guarded(work) {
  try {
    showError(null);
    await work();
  } catch (error) {
    showError(error);
  }
}

// ---- every panel says what it is doing ------------------------------------------------------

// A panel (a section with a .panel-status and a .panel-error of its own) runs one piece of work at
// a time: it says what it is reading while it reads, what went wrong (with a retry) when it fails,
// and an answer that arrives after a newer request was made is dropped. `work(progress)` reads,
// then returns what draws the answer.
const runs = new Map();

function panelParts(id) {
  const section = $(id);
  return { section, status: section.querySelector(":scope > .panel-status"), error: section.querySelector(":scope > .panel-error") };
}

async function inPanel(id, doing, work) {
  const run = (runs.get(id) || 0) + 1;
  runs.set(id, run);
  const current = () => runs.get(id) === run;
  const { section, status, error } = panelParts(id);
  section.setAttribute("aria-busy", "true");
  section.dataset.state = "loading";
  status.textContent = `${doing}…`;
  error.hidden = true;
  const progress = (text) => current() && (status.textContent = text);
  try {
    const draw = await work(progress);
    if (!current()) return;
    if (draw) draw();
    section.dataset.state = "ready";
    status.textContent = "";
  } catch (failure) {
    if (!current()) return;
    section.dataset.state = "error";
    status.textContent = "";
    error.querySelector("span").textContent = `${doing}失败：${failure.message}`;
    error.querySelector(".retry").onclick = () => inPanel(id, doing, work);
    error.hidden = false;
  } finally {
    if (current()) section.removeAttribute("aria-busy");
  }
}

// ---- signing in ----------------------------------------------------------------------------

async function signIn(token) {
  state.token = token.trim();
  $("viewer").textContent = "正在登录…";
  let data;
  try {
    data = await graphql("{ me { role scopeId subject } }");
  } catch (error) {
    state.token = "";
    sessionStorage.removeItem("minhu.token");
    $("viewer").textContent = "未登录：请粘贴令牌";
    throw error;
  }
  state.viewer = data.me;
  sessionStorage.setItem("minhu.token", state.token);
  $("viewer").textContent = `已登录：${data.me.role}${data.me.scopeId ? ` · 辖区 ${data.me.scopeId}` : " · 全市"}`;
  $("sign-out").hidden = false;
  document.querySelector("main").hidden = false;
  loadQueue();
  $("review-place").value = data.me.scopeId || (await firstDistrict());
  loadReview();
}

async function firstDistrict() {
  try {
    const data = await graphql("{ districts(first: 1) { edges { node { id } } } }");
    return data.districts.edges.length ? data.districts.edges[0].node.id : "";
  } catch {
    return ""; // the review's form asks for the place then
  }
}

function signOut() {
  sessionStorage.removeItem("minhu.token");
  window.location.assign("/console");
}

// ---- the queue: overdue first, paged, filtered -----------------------------------------------

function queueFilter(extra) {
  const q = state.queue;
  const filter = { ...QUEUES[q.name].base, ...extra };
  if (state.viewer.scopeId && state.viewer.role !== "UNIT_ADMIN") filter.placeId = state.viewer.scopeId;
  if (q.category) filter.category = [q.category];
  if (q.text) filter.text = q.text;
  return filter;
}

function restartQueue() {
  Object.assign(state.queue, { pages: [{ segment: "overdue", after: null }], offsets: [0], index: 0 });
  return loadQueue();
}

function loadQueue() {
  const q = state.queue;
  const at = q.pages[q.index];
  const spec = QUEUES[q.name];
  const onOverdue = at.segment === "overdue";
  const variables = {
    overdue: queueFilter(spec.overdueFirst ? { overdue: true } : {}),
    rest: queueFilter({ overdue: false }),
    firstOverdue: onOverdue ? PAGE_SIZE : 0, // 0: only the count, this page is past them
    afterOverdue: onOverdue ? at.after : null,
    firstRest: PAGE_SIZE,
    afterRest: onOverdue ? null : at.after,
    withRest: spec.overdueFirst,
    withCategories: !state.categoriesLoaded,
  };
  return inPanel("queue", "正在读取待办", async () => {
    const data = await graphql(QUEUE_QUERY, variables);
    return () => showQueue(data, at);
  });
}

// This page's rows and where the next one starts: overdue needs until they run out, then the rest.
function pageOf(data, at) {
  const overdue = data.overdue;
  const rest = data.rest || null;
  if (at.segment === "rest") {
    const next = rest.pageInfo.hasNextPage ? { segment: "rest", after: rest.edges[rest.edges.length - 1].cursor } : null;
    return { edges: rest.edges, next };
  }
  const edges = [...overdue.edges];
  if (edges.length >= PAGE_SIZE) {
    if (overdue.pageInfo.hasNextPage) return { edges, next: { segment: "overdue", after: edges[edges.length - 1].cursor } };
    return { edges, next: rest && rest.totalCount > 0 ? { segment: "rest", after: null } : null };
  }
  if (!rest) return { edges, next: null };
  const taken = rest.edges.slice(0, PAGE_SIZE - edges.length);
  const more = taken.length < rest.edges.length || rest.pageInfo.hasNextPage;
  return { edges: [...edges, ...taken], next: more && taken.length ? { segment: "rest", after: taken[taken.length - 1].cursor } : null };
}

function showQueue(data, at) {
  if (data.categories) fillCategories(data.categories.edges.map((e) => e.node));
  const q = state.queue;
  const { edges, next } = pageOf(data, at);
  q.pages.length = q.index + 1;
  q.offsets.length = q.index + 1;
  if (next) {
    q.pages.push(next);
    q.offsets.push(q.offsets[q.index] + edges.length);
  }
  const rows = $("queue-rows");
  rows.replaceChildren();
  for (const { node } of edges) {
    const row = element("tr", null, { "data-need-id": node.id, "data-overdue": String(node.overdue) });
    if (node.overdue) row.classList.add("overdue");
    if (state.need && state.need.id === node.id) row.classList.add("selected");
    const pick = element("button", node.title, { type: "button", class: "pick" });
    const title = element("td");
    title.append(pick);
    row.append(element("td", node.number || "—"), title);
    row.append(element("td", node.category ? node.category.name : "—"), element("td", node.community ? node.community.name : "—"));
    const status = element("td", STATUS_NAMES[node.status] || node.status);
    if (node.overdue) status.append(element("span", "超时", { class: "badge" }));
    row.append(status, element("td", when(node.createdAt)));
    row.addEventListener("click", () => chooseNeed(node.id)); // the title's button too: the click bubbles
    rows.append(row);
  }
  const total = data.overdue.totalCount + (data.rest ? data.rest.totalCount : 0);
  const overdueNote = QUEUES[q.name].overdueFirst && data.overdue.totalCount ? `，其中超时 ${data.overdue.totalCount} 件排在前面` : "";
  const filtered = q.category || q.text ? "（已筛选）" : "";
  $("queue-count").textContent = `共 ${total} 件${filtered}${overdueNote}`;
  const from = q.offsets[q.index] + 1;
  $("queue-page").textContent = edges.length ? `第 ${from}–${from + edges.length - 1} 件` : "没有符合条件的诉求";
  $("queue-previous").disabled = q.index === 0;
  $("queue-next").disabled = !next;
}

function fillCategories(categories) {
  const select = $("queue-category");
  for (const category of categories) select.append(element("option", category.name, { value: category.code }));
  state.categoriesLoaded = true;
}

function chooseQueue(name) {
  state.queue.name = name;
  for (const tab of document.querySelectorAll("[data-queue]")) tab.setAttribute("aria-pressed", String(tab.dataset.queue === name));
  return restartQueue();
}

function turnPage(step) {
  state.queue.index = Math.max(0, Math.min(state.queue.pages.length - 1, state.queue.index + step));
  return loadQueue();
}

// ---- one need: facts, candidates, dispatch --------------------------------------------------

// A need picked from the queue: what an earlier dispatch said is about another need.
function chooseNeed(id) {
  $("dispatch-result").textContent = "";
  delete $("dispatch-result").dataset.status;
  return selectNeed(id);
}

function selectNeed(id) {
  $("need").hidden = false;
  $("graph").hidden = false;
  for (const row of document.querySelectorAll("#queue-rows tr")) row.classList.toggle("selected", row.dataset.needId === id);
  return inPanel("need", "正在读取诉求", async () => {
    const data = await graphql(NEED_QUERY, { id });
    if (!data.node) throw new ApiError([{ message: `看不到诉求 ${id}（不存在或不在辖区内）`, extensions: { code: "NOT_FOUND" } }]);
    return () => {
      state.need = data.node;
      showNeed(state.need);
      loadCandidates(state.need);
      drawNeighbourhood(state.need.id);
    };
  });
}

function showNeed(need) {
  $("need-title").textContent = `诉求 ${need.number || need.id}：${need.title}`;
  const facts = $("need-facts");
  facts.replaceChildren();
  const pairs = [
    ["状态", (STATUS_NAMES[need.status] || need.status) + (need.overdue ? "（超时）" : "")],
    ["类别", need.category ? need.category.name : "—"],
    ["社区", need.community ? need.community.name : "—"],
    ["紧急程度", need.urgency],
    ["提交时间", when(need.createdAt)],
    ["响应时限", when(need.responseDeadline)],
    ["描述", need.description],
  ];
  for (const [term, value] of pairs) facts.append(element("dt", term), element("dd", value));
}

function loadCandidates(need) {
  $("candidates").replaceChildren();
  const dispatchable = DISPATCHABLE.has(need.status);
  $("candidates-note").textContent = dispatchable ? "点击“派单”即交其承办。" : `此诉求${STATUS_NAMES[need.status] || need.status}，不能再派单。`;
  return inPanel("candidates-panel", "正在排序推荐承办", async () => {
    const data = await graphql(CANDIDATES_QUERY, { id: need.id });
    return () => showCandidates(data.matchCandidates, dispatchable);
  });
}

function showCandidates(candidates, dispatchable) {
  const list = $("candidates");
  list.replaceChildren();
  if (!candidates.length) list.append(element("li", "没有合适的承办者"));
  for (const candidate of candidates) {
    const resource = candidate.resource;
    const name = resource.__typename === "Offering" ? `${resource.title}（${resource.unit ? resource.unit.name : ""}）` : label(resource);
    const item = element("li", null, { "data-candidate-id": resource.id, "data-kind": candidate.kind });
    item.append(element("strong", name), element("span", ` ${KIND_NAMES[candidate.kind] || candidate.kind} · 得分 ${candidate.score.toFixed(2)}`, { class: "score" }));
    item.append(element("p", candidate.reason, { class: "reason" }));
    if (dispatchable && (resource.__typename === "Member" || resource.__typename === "Offering")) {
      const button = element("button", "派单", { type: "button", "data-dispatch": resource.id, "aria-label": `派单给 ${name}` });
      button.addEventListener("click", () => dispatch(resource.id, name));
      item.append(button);
    }
    list.append(item);
  }
}

function dispatch(handlerId, name) {
  const need = state.need;
  // One key for this dispatch: a retry after a lost answer changes nothing twice.
  const idempotencyKey = crypto.randomUUID();
  for (const other of document.querySelectorAll("[data-dispatch]")) other.disabled = true;
  return inPanel("candidates-panel", `正在派单给 ${name}`, async () => {
    let data;
    try {
      data = await graphql(DISPATCH_MUTATION, { input: { needId: need.id, handlerId, idempotencyKey } });
    } catch (error) {
      for (const other of document.querySelectorAll("[data-dispatch]")) other.disabled = false;
      throw error;
    }
    return () => {
      const result = data.dispatchNeed;
      $("dispatch-result").textContent = `已派给 ${name}，诉求状态：${STATUS_NAMES[result.need.status] || result.need.status}`;
      $("dispatch-result").dataset.status = result.need.status;
      // Re-read: the need is no longer dispatchable, and it leaves the waiting queue.
      loadQueue();
      selectNeed(need.id);
    };
  });
}

// ---- the graph view ------------------------------------------------------------------------

function drawNeighbourhood(id) {
  const hops = Number($("graph-hops").value);
  return inPanel("graph", "正在读取关系图", async (progress) => {
    const data = await graphql(GRAPH_QUERY, { id, hops });
    const found = data.neighbourhood;
    const byId = new Map([[found.centre.id, found.centre]]);
    for (const node of found.nodes) byId.set(node.id, node);
    const nodes = [...byId.values()].map((node) => ({ ...node }));
    const links = found.relationships
      .filter((r) => byId.has(r.fromId) && byId.has(r.toId))
      .map((r) => ({ source: r.fromId, target: r.toId, type: r.type }));
    progress(`正在布局 ${nodes.length} 个节点…`);
    const layout = await layOut(nodes, links, found.centre.id, progress);
    return () => showNeighbourhood(found, nodes, links, layout);
  });
}

// The force simulation runs in a Web Worker (graph-layout.js, this origin), so the page keeps
// answering while it works; it reports its progress and stops at the budget.
let layoutWorker = null;

function layoutBudget() {
  const given = $("graph").dataset.layoutBudgetMs;
  return given === undefined ? LAYOUT.budgetMs : Number(given);
}

function layOut(nodes, links, centreId, progress) {
  if (layoutWorker) layoutWorker.cancel();
  return new Promise((resolve, reject) => {
    const worker = new Worker("/console/graph-layout.js");
    const finish = () => {
      worker.terminate();
      if (layoutWorker && layoutWorker.worker === worker) layoutWorker = null;
    };
    layoutWorker = { worker, cancel: () => { finish(); reject(new Error("已被新的请求取代")); } };
    worker.onmessage = (event) => {
      const message = event.data;
      if (message.type === "progress") {
        progress(`正在布局：${message.done}/${message.total} 步`);
        return;
      }
      finish();
      resolve(message);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      finish();
      reject(new Error(`布局出错：${event.message || "脚本没有加载"}`));
    };
    worker.postMessage({
      nodes: nodes.map((node) => ({ id: node.id })),
      links: links.map((link) => ({ source: link.source, target: link.target })),
      centreId,
      width: LAYOUT.width,
      height: LAYOUT.height,
      ticks: LAYOUT.ticks,
      budgetMs: layoutBudget(),
    });
  });
}

function showNeighbourhood(found, nodes, links, layout) {
  const at = new Map(layout.positions.map(([id, x, y]) => [id, { x, y }]));
  for (const node of nodes) Object.assign(node, at.get(node.id));
  const byId = new Map(nodes.map((node) => [node.id, node]));
  for (const link of links) {
    link.source = byId.get(link.source);
    link.target = byId.get(link.target);
  }
  $("graph-centre").textContent = `中心：${TYPE_NAMES[found.centre.__typename] || found.centre.__typename} ${label(found.centre)}`;
  drawGraph(nodes, links, found.centre.id);
  const kinds = [...new Set(nodes.map((n) => n.__typename))];
  const notes = [];
  if (found.truncated) notes.push("节点太多，已截断：缩小范围可看全");
  if (layout.cutShort) notes.push(`布局在 ${layout.ticks}/${layout.total} 步时停下（机器忙），位置是近似的`);
  const caption = `${nodes.length} 个节点，${links.length} 条关系${notes.length ? `（${notes.join("；")}）` : ""}`;
  $("graph-caption").textContent = caption;
  const view = $("graph-view");
  view.dataset.nodeCount = String(nodes.length);
  view.dataset.edgeCount = String(links.length);
  view.dataset.layout = layout.cutShort ? "cut-short" : "complete";
  view.dataset.truncated = String(found.truncated);
  view.setAttribute("aria-label", `${label(found.centre)} 的关系图：${caption}；节点类型：${kinds.map((k) => TYPE_NAMES[k] || k).join("、")}；在节点上按回车以它为中心`);
  state.centre = found.centre;
}

function drawGraph(nodes, links, centreId) {
  const { width, height } = LAYOUT;
  const colour = d3.scaleOrdinal(d3.schemeTableau10);
  const svg = d3.create("svg").attr("viewBox", `0 0 ${width} ${height}`).attr("width", "100%");
  svg.append("g").attr("class", "edges").attr("aria-hidden", "true").selectAll("line").data(links).join("line")
    .attr("x1", (d) => d.source.x).attr("y1", (d) => d.source.y)
    .attr("x2", (d) => d.target.x).attr("y2", (d) => d.target.y)
    .attr("data-type", (d) => d.type)
    .append("title").text((d) => `${label(d.source)} —${d.type}→ ${label(d.target)}`);
  const node = svg.append("g").attr("class", "nodes").selectAll("g").data(nodes).join("g")
    .attr("transform", (d) => `translate(${d.x},${d.y})`)
    .attr("data-id", (d) => d.id)
    .attr("class", (d) => (d.id === centreId ? "centre" : null))
    // Every node is a control: Tab reaches it, Enter (or a double click) centres the graph on it.
    .attr("tabindex", "0")
    .attr("role", "button")
    .attr("aria-label", (d) => `${TYPE_NAMES[d.__typename] || d.__typename}：${label(d)}`);
  node.append("circle").attr("r", (d) => (d.id === centreId ? 12 : 8)).attr("fill", (d) => colour(d.__typename));
  node.append("text").attr("x", 12).attr("y", 4).text((d) => shortened(label(d)));
  node.append("title").text((d) => `${TYPE_NAMES[d.__typename] || d.__typename}：${label(d)}（双击或回车以它为中心）`);
  node.on("dblclick", (event, d) => drawNeighbourhood(d.id));
  node.on("keydown", (event, d) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      drawNeighbourhood(d.id);
    }
  });
  $("graph-view").replaceChildren(svg.node());

  const legend = $("graph-legend");
  legend.replaceChildren();
  for (const kind of [...new Set(nodes.map((n) => n.__typename))]) {
    const item = element("li", TYPE_NAMES[kind] || kind);
    item.style.setProperty("--swatch", colour(kind));
    legend.append(item);
  }
}

// ---- the quarter review --------------------------------------------------------------------

function loadReview() {
  const placeId = $("review-place").value.trim();
  if (!placeId) return Promise.resolve();
  const quarter = $("review-quarter").value.trim() || null;
  return inPanel("review", "正在读取季度复盘", async () => {
    const data = await graphql(REVIEW_QUERY, { placeId, quarter });
    return () => showReview(data.needClasses, quarter);
  });
}

function showReview(classes, quarter) {
  const rows = $("review-rows");
  rows.replaceChildren();
  for (const c of classes) {
    const row = element("tr");
    row.append(element("td", c.category ? c.category.name : "—"), element("td", c.community ? c.community.name : "—"));
    row.append(element("td", c.count), element("td", c.previousCount), element("td", c.yearAgoCount), element("td", c.words.join("、")));
    rows.append(row);
  }
  drawReviewChart(classes);
  const quarterShown = classes.length ? classes[0].quarter : quarter || "上一整季";
  $("review-caption").textContent = classes.length
    ? `${quarterShown}：${classes.length} 类诉求，按增长排序；深色为本季，浅色为上季`
    : `${quarterShown}：没有反复出现的一类事`;
}

function drawReviewChart(classes) {
  const width = 760;
  const barHeight = 22;
  const left = 220;
  const height = Math.max(1, classes.length) * (barHeight * 2 + 8) + 30;
  const x = d3.scaleLinear().domain([0, d3.max(classes, (c) => Math.max(c.count, c.previousCount)) || 1]).nice().range([left, width - 120]);
  const svg = d3.create("svg").attr("viewBox", `0 0 ${width} ${height}`).attr("width", "100%");
  const group = svg.append("g").selectAll("g").data(classes).join("g")
    .attr("transform", (_, i) => `translate(0,${i * (barHeight * 2 + 8)})`);
  group.append("text").attr("x", left - 8).attr("y", barHeight).attr("text-anchor", "end")
    .text((c) => `${c.category ? c.category.name : ""} · ${c.community ? c.community.name : ""}`);
  group.append("rect").attr("class", "now").attr("x", left).attr("y", 0).attr("height", barHeight - 2)
    .attr("width", (c) => x(c.count) - left).append("title").text((c) => `本季 ${c.count}`);
  group.append("rect").attr("class", "before").attr("x", left).attr("y", barHeight).attr("height", barHeight - 2)
    .attr("width", (c) => x(c.previousCount) - left).append("title").text((c) => `上季 ${c.previousCount}`);
  group.append("text").attr("class", "value").attr("x", (c) => x(c.count) + 4).attr("y", barHeight - 6)
    .text((c) => (c.change === null ? `${c.count}（新出现）` : `${c.count}（×${c.change.toFixed(1)}）`));
  svg.append("g").attr("transform", `translate(0,${height - 24})`).call(d3.axisBottom(x).ticks(6));
  const chart = $("review-chart");
  chart.replaceChildren(svg.node());
  chart.dataset.barCount = String(classes.length);
  chart.setAttribute("aria-label", classes.map((c) => `${c.category ? c.category.name : ""}·${c.community ? c.community.name : ""} 本季 ${c.count} 上季 ${c.previousCount}`).join("；") || "没有数据");
}

// ---- wiring --------------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
  $("sign-in").addEventListener("submit", (event) => {
    event.preventDefault();
    guarded(() => signIn($("token").value));
  });
  $("sign-out").addEventListener("click", signOut);
  for (const tab of document.querySelectorAll("[data-queue]")) tab.addEventListener("click", () => chooseQueue(tab.dataset.queue));
  $("queue-filter").addEventListener("submit", (event) => {
    event.preventDefault();
    state.queue.category = $("queue-category").value;
    state.queue.text = $("queue-text").value.trim();
    restartQueue();
  });
  $("queue-clear").addEventListener("click", () => {
    $("queue-category").value = "";
    $("queue-text").value = "";
    state.queue.category = "";
    state.queue.text = "";
    restartQueue();
  });
  $("queue-previous").addEventListener("click", () => turnPage(-1));
  $("queue-next").addEventListener("click", () => turnPage(1));
  $("graph-need").addEventListener("click", () => state.need && drawNeighbourhood(state.need.id));
  $("graph-community").addEventListener("click", () => state.need && state.need.community && drawNeighbourhood(state.need.community.id));
  $("graph-hops").addEventListener("change", () => state.centre && drawNeighbourhood(state.centre.id));
  $("review-form").addEventListener("submit", (event) => {
    event.preventDefault();
    loadReview();
  });

  // ?token=… signs in at once; the token then leaves the address bar (and the browser's history).
  const params = new URLSearchParams(window.location.search);
  const token = params.get("token") || sessionStorage.getItem("minhu.token");
  if (params.has("token")) window.history.replaceState(null, "", "/console");
  if (token) guarded(() => signIn(token));
});
