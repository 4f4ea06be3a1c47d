// 民呼 coordinators' console: everything it shows comes from the public GraphQL API on this
// origin, asked with the coordinator's own token, so the API's scope and masking rules hold here too.
"use strict";

const QUEUES = {
  waiting: { status: ["SUBMITTED", "DECLINED", "ESCALATED"] },
  handling: { status: ["DISPATCHED", "ACCEPTED", "IN_PROGRESS", "REOPENED", "SUSPENDED"] },
  overdue: { overdue: true },
};
const DISPATCHABLE = new Set(QUEUES.waiting.status);
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
  Evaluation: "评价", DispatchPlan: "派单方案",
};
const TIME = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
});

const QUEUE_QUERY = `query ConsoleQueue($filter: NeedFilter, $first: Int) {
  needs(first: $first, filter: $filter) {
    totalCount
    edges { node { id number title status overdue createdAt category { name } community { id name } } }
  }
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
  ... on Skill { name } ... on Project { title } ... on Facility { name } ... on NeedEvent { type }`;
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

const state = { token: "", viewer: null, queue: "waiting", need: null };
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
  const response = await fetch("/graphql", {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/graphql-response+json, application/json",
      Authorization: `Bearer ${state.token}`,
    },
    body: JSON.stringify({ query, variables }),
  });
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError([{ message: `服务器答复无法读取（HTTP ${response.status}）` }]);
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

// ---- signing in ----------------------------------------------------------------------------

async function signIn(token) {
  state.token = token.trim();
  let data;
  try {
    data = await graphql("{ me { role scopeId subject } }");
  } catch (error) {
    state.token = "";
    sessionStorage.removeItem("minhu.token");
    throw error;
  }
  state.viewer = data.me;
  sessionStorage.setItem("minhu.token", state.token);
  $("viewer").textContent = `已登录：${data.me.role}${data.me.scopeId ? ` · 辖区 ${data.me.scopeId}` : " · 全市"}`;
  $("sign-out").hidden = false;
  document.querySelector("main").hidden = false;
  $("review-place").value = data.me.scopeId || (await firstDistrict());
  await Promise.all([loadQueue(), loadReview()]);
}

async function firstDistrict() {
  const data = await graphql("{ districts(first: 1) { edges { node { id } } } }");
  return data.districts.edges.length ? data.districts.edges[0].node.id : "";
}

function signOut() {
  sessionStorage.removeItem("minhu.token");
  window.location.assign("/console");
}

// ---- the queue ----------------------------------------------------------------------------

async function loadQueue() {
  const filter = { ...QUEUES[state.queue] };
  if (state.viewer.scopeId && state.viewer.role !== "UNIT_ADMIN") filter.placeId = state.viewer.scopeId;
  const data = await graphql(QUEUE_QUERY, { filter, first: 50 });
  const rows = $("queue-rows");
  rows.replaceChildren();
  for (const { node } of data.needs.edges) {
    const row = element("tr", null, { "data-need-id": node.id, tabindex: "0" });
    if (node.overdue) row.classList.add("overdue");
    if (state.need && state.need.id === node.id) row.classList.add("selected");
    row.append(element("td", node.number || "—"), element("td", node.title));
    row.append(element("td", node.category ? node.category.name : "—"), element("td", node.community ? node.community.name : "—"));
    const status = element("td", STATUS_NAMES[node.status] || node.status);
    if (node.overdue) status.append(element("span", "超时", { class: "badge" }));
    row.append(status, element("td", when(node.createdAt)));
    row.addEventListener("click", () => guarded(() => chooseNeed(node.id)));
    row.addEventListener("keydown", (event) => event.key === "Enter" && guarded(() => chooseNeed(node.id)));
    rows.append(row);
  }
  const shown = data.needs.edges.length;
  $("queue-count").textContent = shown < data.needs.totalCount ? `共 ${data.needs.totalCount} 件，显示最新的 ${shown} 件` : `共 ${shown} 件`;
}

function chooseQueue(name) {
  state.queue = name;
  for (const tab of document.querySelectorAll("[data-queue]")) tab.setAttribute("aria-selected", String(tab.dataset.queue === name));
  return loadQueue();
}

// ---- one need: facts, candidates, dispatch --------------------------------------------------

// A need picked from the queue: what an earlier dispatch said is about another need.
function chooseNeed(id) {
  $("dispatch-result").textContent = "";
  delete $("dispatch-result").dataset.status;
  return selectNeed(id);
}

async function selectNeed(id) {
  const data = await graphql(NEED_QUERY, { id });
  if (!data.node) throw new ApiError([{ message: `看不到诉求 ${id}（不存在或不在辖区内）`, extensions: { code: "NOT_FOUND" } }]);
  state.need = data.node;
  for (const row of document.querySelectorAll("#queue-rows tr")) row.classList.toggle("selected", row.dataset.needId === id);
  $("need").hidden = false;
  $("graph").hidden = false;
  $("need-title").textContent = `诉求 ${state.need.number || state.need.id}：${state.need.title}`;
  const facts = $("need-facts");
  facts.replaceChildren();
  const pairs = [
    ["状态", (STATUS_NAMES[state.need.status] || state.need.status) + (state.need.overdue ? "（超时）" : "")],
    ["类别", state.need.category ? state.need.category.name : "—"],
    ["社区", state.need.community ? state.need.community.name : "—"],
    ["紧急程度", state.need.urgency],
    ["提交时间", when(state.need.createdAt)],
    ["响应时限", when(state.need.responseDeadline)],
    ["描述", state.need.description],
  ];
  for (const [term, value] of pairs) facts.append(element("dt", term), element("dd", value));
  await Promise.all([loadCandidates(), drawNeighbourhood(state.need.id)]);
}

async function loadCandidates() {
  const list = $("candidates");
  list.replaceChildren();
  const dispatchable = DISPATCHABLE.has(state.need.status);
  $("candidates-note").textContent = dispatchable ? "点击“派单”即交其承办。" : `此诉求${STATUS_NAMES[state.need.status] || state.need.status}，不能再派单。`;
  const data = await graphql(CANDIDATES_QUERY, { id: state.need.id });
  if (!data.matchCandidates.length) list.append(element("li", "没有合适的承办者"));
  for (const candidate of data.matchCandidates) {
    const resource = candidate.resource;
    const name = resource.__typename === "Offering" ? `${resource.title}（${resource.unit ? resource.unit.name : ""}）` : label(resource);
    const item = element("li", null, { "data-candidate-id": resource.id, "data-kind": candidate.kind });
    item.append(element("strong", name), element("span", ` ${KIND_NAMES[candidate.kind] || candidate.kind} · 得分 ${candidate.score.toFixed(2)}`, { class: "score" }));
    item.append(element("p", candidate.reason, { class: "reason" }));
    if (dispatchable && (resource.__typename === "Member" || resource.__typename === "Offering")) {
      const button = element("button", "派单", { type: "button", "data-dispatch": resource.id });
      button.addEventListener("click", () => guarded(() => dispatch(resource.id, name)));
      item.append(button);
    }
    list.append(item);
  }
}

async function dispatch(handlerId, name) {
  for (const other of document.querySelectorAll("[data-dispatch]")) other.disabled = true;
  try {
    const data = await graphql(DISPATCH_MUTATION, {
      input: { needId: state.need.id, handlerId, idempotencyKey: crypto.randomUUID() },
    });
    const result = data.dispatchNeed;
    $("dispatch-result").textContent = `已派给 ${name}，诉求状态：${STATUS_NAMES[result.need.status] || result.need.status}`;
    $("dispatch-result").dataset.status = result.need.status;
  } catch (error) {
    for (const other of document.querySelectorAll("[data-dispatch]")) other.disabled = false;
    throw error;
  }
  // Re-read: the need is no longer dispatchable, and it leaves the waiting queue.
  await Promise.all([loadQueue(), selectNeed(state.need.id)]);
}

// ---- the graph view ------------------------------------------------------------------------

async function drawNeighbourhood(id) {
  const hops = Number($("graph-hops").value);
  const data = await graphql(GRAPH_QUERY, { id, hops });
  const found = data.neighbourhood;
  const byId = new Map([[found.centre.id, found.centre]]);
  for (const node of found.nodes) byId.set(node.id, node);
  const nodes = [...byId.values()].map((node) => ({ ...node }));
  const links = found.relationships
    .filter((r) => byId.has(r.fromId) && byId.has(r.toId))
    .map((r) => ({ source: r.fromId, target: r.toId, type: r.type }));
  $("graph-centre").textContent = `中心：${TYPE_NAMES[found.centre.__typename] || found.centre.__typename} ${label(found.centre)}`;
  drawGraph(nodes, links, found.centre.id);
  const kinds = [...new Set(nodes.map((n) => n.__typename))];
  const caption = `${nodes.length} 个节点，${links.length} 条关系${found.truncated ? "（已截断，缩小范围可看全）" : ""}`;
  $("graph-caption").textContent = caption;
  const view = $("graph-view");
  view.dataset.nodeCount = String(nodes.length);
  view.dataset.edgeCount = String(links.length);
  view.setAttribute("aria-label", `${label(found.centre)} 的关系图：${caption}；节点类型：${kinds.map((k) => TYPE_NAMES[k] || k).join("、")}`);
  state.centre = found.centre;
}

function drawGraph(nodes, links, centreId) {
  const width = 760;
  const height = 460;
  const colour = d3.scaleOrdinal(d3.schemeTableau10);
  // Laid out in full before drawing: the picture is still, and the same data draws the same way.
  const simulation = d3.forceSimulation(nodes)
    .force("link", d3.forceLink(links).id((d) => d.id).distance(90))
    .force("charge", d3.forceManyBody().strength(-320))
    .force("center", d3.forceCenter(width / 2, height / 2))
    .force("collide", d3.forceCollide(18))
    .stop();
  for (const node of nodes) if (node.id === centreId) { node.fx = width / 2; node.fy = height / 2; }
  for (let i = 0; i < 300; i += 1) simulation.tick();
  for (const node of nodes) {
    node.x = Math.max(20, Math.min(width - 20, node.x));
    node.y = Math.max(20, Math.min(height - 20, node.y));
  }

  const svg = d3.create("svg").attr("viewBox", `0 0 ${width} ${height}`).attr("width", "100%");
  svg.append("g").attr("class", "edges").selectAll("line").data(links).join("line")
    .attr("x1", (d) => d.source.x).attr("y1", (d) => d.source.y)
    .attr("x2", (d) => d.target.x).attr("y2", (d) => d.target.y)
    .attr("data-type", (d) => d.type)
    .append("title").text((d) => `${label(d.source)} —${d.type}→ ${label(d.target)}`);
  const node = svg.append("g").attr("class", "nodes").selectAll("g").data(nodes).join("g")
    .attr("transform", (d) => `translate(${d.x},${d.y})`)
    .attr("data-id", (d) => d.id)
    .attr("class", (d) => (d.id === centreId ? "centre" : null));
  node.append("circle").attr("r", (d) => (d.id === centreId ? 12 : 8)).attr("fill", (d) => colour(d.__typename));
  node.append("text").attr("x", 12).attr("y", 4).text((d) => label(d).slice(0, 14));
  node.append("title").text((d) => `${TYPE_NAMES[d.__typename] || d.__typename}：${label(d)}（双击以它为中心）`);
  node.on("dblclick", (event, d) => guarded(() => drawNeighbourhood(d.id)));
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

async function loadReview() {
  const placeId = $("review-place").value.trim();
  if (!placeId) return;
  const quarter = $("review-quarter").value.trim() || null;
  const data = await graphql(REVIEW_QUERY, { placeId, quarter });
  const classes = data.needClasses;
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
  for (const tab of document.querySelectorAll("[data-queue]")) tab.addEventListener("click", () => guarded(() => chooseQueue(tab.dataset.queue)));
  $("graph-need").addEventListener("click", () => state.need && guarded(() => drawNeighbourhood(state.need.id)));
  $("graph-community").addEventListener("click", () => state.need && state.need.community && guarded(() => drawNeighbourhood(state.need.community.id)));
  $("graph-hops").addEventListener("change", () => state.centre && guarded(() => drawNeighbourhood(state.centre.id)));
  $("review-form").addEventListener("submit", (event) => {
    event.preventDefault();
    guarded(loadReview);
  });

  // ?token=… signs in at once; the token then leaves the address bar (and the browser's history).
  const params = new URLSearchParams(window.location.search);
  const token = params.get("token") || sessionStorage.getItem("minhu.token");
  if (params.has("token")) window.history.replaceState(null, "", "/console");
  if (token) {
    $("token").value = token;
    guarded(() => signIn(token));
  }
});
