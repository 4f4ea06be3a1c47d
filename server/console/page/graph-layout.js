// 民呼 console: the relationship graph's force layout, off the page's thread. The page posts the
// nodes and links; this answers with progress every few ticks and the positions at the end, and
// stops early when the time budget is spent (the page then says the layout was cut short).
"use strict";

importScripts("/console/vendor/d3.min.js");

const CHUNK = 20; // ticks between progress reports

self.onmessage = (event) => {
  const { nodes, links, centreId, width, height, ticks, budgetMs } = event.data;
  // Laid out in full before drawing: the picture is still, and the same data draws the same way.
  const simulation = d3.forceSimulation(nodes)
    .force("link", d3.forceLink(links).id((d) => d.id).distance(90))
    .force("charge", d3.forceManyBody().strength(-320))
    .force("center", d3.forceCenter(width / 2, height / 2))
    .force("collide", d3.forceCollide(18))
    .stop();
  for (const node of nodes) if (node.id === centreId) { node.fx = width / 2; node.fy = height / 2; }
  const started = performance.now();
  let done = 0;
  while (done < ticks) {
    const step = Math.min(CHUNK, ticks - done);
    simulation.tick(step);
    done += step;
    if (done < ticks && performance.now() - started >= budgetMs) break;
    self.postMessage({ type: "progress", done, total: ticks });
  }
  const clamp = (value, most) => Math.max(20, Math.min(most - 20, value));
  self.postMessage({
    type: "done",
    positions: nodes.map((node) => [node.id, clamp(node.x, width), clamp(node.y, height)]),
    ticks: done,
    total: ticks,
    cutShort: done < ticks,
  });
};
