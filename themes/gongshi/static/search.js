// gongshi site search (SPEC §6) on the Pagefind JS API.
//
// * The query, the filters, the sort and the page number live in the URL
//   (?q=…&year=…&page=2), so every search can be linked and bookmarked.
// * All paths are computed from data- attributes of the search form, which the
//   templates write relative to the page: the site works under any sub-path.
// * The index is split into bundles (one per decision year, plus the primary
//   bundle for lists); they are merged here with pagefind.mergeIndex().
// * No inline script anywhere (strict CSP); Pagefind itself needs
//   script-src 'wasm-unsafe-eval' and worker-src 'self'.
// * #search-results carries data-state (idle | loading | done | error) and
//   data-rendered (the URL query it shows) so tests can wait without sleeping.

const PAGE_SIZE = 10;
// Pagefind scores each year bundle with its own word statistics, and a query word it
// cannot find is dropped rather than failing the page.  So the first results are
// re-ordered by how exactly they contain the whole query (see rerank()).
const RERANK = 20;
// A query that matches a 文号 or a party name should put that record first.
const RANKING = { metaWeights: { title: 5, doc_no: 8, party: 6 } };

const form = document.getElementById("search-form");
if (form) {
  start(form);
}

function start(form) {
  const ui = {
    form,
    q: form.elements.namedItem("q"),
    selects: Array.from(form.querySelectorAll("select[data-filter]")),
    sort: form.elements.namedItem("sort"),
    status: document.getElementById("search-status"),
    list: document.getElementById("search-results"),
    pager: document.getElementById("search-pager"),
    empty: document.getElementById("search-empty"),
    heading: document.getElementById("search-results-h"),
  };
  const bundle = new URL(form.dataset.bundle, document.baseURI);
  const root = new URL(form.dataset.root, document.baseURI).pathname;
  const shards = words(form.dataset.shards);
  const years = words(form.dataset.years);
  let pagefind = null;
  let latest = 0;
  const merged = new Map(); // year bundle -> its mergeIndex() promise
  // The library and the primary bundle, loaded once (again after a failure).
  const primary = () => (pagefind ??= loadPagefind(bundle, root).catch((err) => {
    pagefind = null;
    merged.clear();
    throw err;
  }));
  const engine = async (year) => {
    const pf = await primary();
    // A search filtered to one year needs only that year's bundle (saves the others'
    // metadata at province scale); any other search merges every year.
    const needed = year ? shards.filter((s) => s === year) : shards;
    for (const shard of needed) {
      if (!merged.has(shard)) {
        const path = new URL(`${shard}/`, bundle).pathname;
        merged.set(shard, pf.mergeIndex(path, { baseUrl: root, ranking: RANKING }));
      }
    }
    await Promise.all(needed.map((s) => merged.get(s)));
    return pf;
  };

  async function show(moveFocus) {
    const state = readUrl(ui);
    writeForm(ui, state);
    const ticket = ++latest;
    if (!state.q && !Object.keys(state.filters).length) {
      renderIdle(ui);
      return;
    }
    setState(ui, "loading");
    ui.status.textContent = "正在搜索……";
    try {
      const pf = await engine(state.filters.year);
      const results = await runSearch(pf, state, ui, years);
      const pages = Math.max(1, Math.ceil(results.length / PAGE_SIZE));
      const page = Math.min(state.page, pages);
      const slice = results.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
      const data = await Promise.all(slice.map((r) => r.data()));
      if (ticket !== latest) return; // a newer search has started
      renderResults(ui, state, data, results.length, page, pages);
      if (moveFocus) ui.heading.focus();
    } catch (err) {
      if (ticket !== latest) return;
      renderError(ui, err);
    }
  }

  const go = (page) => {
    const url = urlFromForm(ui, page);
    if (url.search !== location.search) history.pushState(null, "", url);
    show(false);
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    go(1);
  });
  for (const select of [...ui.selects, ui.sort]) {
    select.addEventListener("change", () => go(1));
  }
  ui.pager.addEventListener("click", (event) => {
    const link = event.target.closest("a[href]");
    if (!link) return;
    event.preventDefault();
    history.pushState(null, "", link.href);
    show(true);
  });
  window.addEventListener("popstate", () => show(false));
  // Warm up on focus: the library and the primary bundle only.
  ui.q.addEventListener("focus", () => primary().catch(() => {}), { once: true });
  show(false);
}

function words(text) {
  return (text || "").split(/[\s,]+/).filter(Boolean);
}

async function loadPagefind(bundle, root) {
  const pf = await import(new URL("pagefind.js", bundle).href);
  await pf.options({ baseUrl: root, ranking: RANKING, excerptLength: 40 });
  await pf.init();
  return pf;
}

// ---- URL <-> form ---------------------------------------------------------

function readUrl(ui) {
  const params = new URLSearchParams(location.search);
  const filters = {};
  for (const select of ui.selects) {
    const value = (params.get(select.name) || "").trim();
    if (value) filters[select.name] = value;
  }
  const page = Number.parseInt(params.get("page") || "1", 10);
  return {
    q: (params.get("q") || "").trim(),
    filters,
    sort: ["new", "old"].includes(params.get("sort")) ? params.get("sort") : "",
    page: Number.isFinite(page) && page > 0 ? page : 1,
  };
}

function writeForm(ui, state) {
  ui.q.value = state.q;
  for (const select of ui.selects) {
    const value = state.filters[select.name] || "";
    if (value && !Array.from(select.options).some((o) => o.value === value)) {
      select.add(new Option(value, value)); // a bookmarked value no longer offered
    }
    select.value = value;
  }
  ui.sort.value = state.sort;
}

function urlFromForm(ui, page) {
  const params = new URLSearchParams();
  const q = ui.q.value.trim();
  if (q) params.set("q", q);
  for (const select of ui.selects) {
    if (select.value) params.set(select.name, select.value);
  }
  if (ui.sort.value) params.set("sort", ui.sort.value);
  if (page > 1) params.set("page", String(page));
  const url = new URL(location.href);
  url.search = params.toString();
  return url;
}

function pageUrl(page) {
  const url = new URL(location.href);
  if (page > 1) url.searchParams.set("page", String(page));
  else url.searchParams.delete("page");
  return url.href;
}

// ---- searching ------------------------------------------------------------

async function runSearch(pf, state, ui, years) {
  const filters = {};
  for (const select of ui.selects) {
    const value = state.filters[select.name];
    if (value) filters[select.dataset.filter] = value;
  }
  // An amount ("52000", "52,000元") is looked up as that exact number: Pagefind would
  // otherwise fall back to any number the digits start with ("5", "52").
  const amount = /^\s*(\d[\d,，]*)\s*元?\s*$/u.exec(state.q);
  const term = amount ? `"${amount[1].replace(/[,，]/g, "")}"` : state.q || null;
  if (!state.sort) {
    const found = (await pf.search(term, { filters })).results;
    return term ? rerank(found.map(memo), state.q) : found;
  }
  // Pagefind sorts each merged bundle on its own and interleaves them, so a
  // date order over several year bundles is built here: one search per year,
  // newest (or oldest) year first.  Pages without a decision date (lists) drop out.
  const dir = state.sort === "old" ? "asc" : "desc";
  let order = filters["年份"] ? [filters["年份"]] : years.slice();
  if (dir === "asc") order = order.reverse();
  const out = [];
  for (const year of order) {
    const found = await pf.search(term, { filters: { ...filters, 年份: year }, sort: { date: dir } });
    out.push(...found.results);
  }
  return out;
}

function memo(result) {
  let loaded = null;
  return { data: () => (loaded ??= result.data()) };
}

function squash(text) {
  return (text || "").toLowerCase().replace(/[\s\p{P}\p{S}\u200b]+/gu, "");
}

// The first RERANK results, ordered: the 文号 or party is exactly the query; the query
// is inside the title, 文号 or party; the query is inside the text; the rest — each
// group in Pagefind's order.  Chinese has no spaces, so "the whole query as one
// string" is what a person searching a name or a 文号 means.
async function rerank(results, term) {
  const key = squash(term);
  const head = results.slice(0, RERANK);
  const data = await Promise.all(head.map((r) => r.data()));
  const tier = (d) => {
    const m = d.meta || {};
    if (key === squash(m.doc_no) || key === squash(m.party)) return 3;
    if ([m.title, m.doc_no, m.party].some((v) => squash(v).includes(key))) return 2;
    return squash(d.content).includes(key) ? 1 : 0;
  };
  const ranked = head.map((r, i) => ({ r, i, t: tier(data[i]) }));
  ranked.sort((a, b) => b.t - a.t || a.i - b.i);
  return [...ranked.map((x) => x.r), ...results.slice(RERANK)];
}

// ---- rendering ------------------------------------------------------------

function setState(ui, state) {
  ui.list.dataset.state = state;
  ui.list.setAttribute("aria-busy", state === "loading" ? "true" : "false");
}

function finish(ui, state) {
  ui.list.dataset.rendered = location.search;
  setState(ui, state);
}

function renderIdle(ui) {
  ui.list.replaceChildren();
  ui.pager.hidden = true;
  ui.empty.hidden = true;
  ui.status.textContent = "请输入关键词或选择筛选条件。";
  finish(ui, "idle");
}

function renderError(ui, err) {
  ui.list.replaceChildren();
  ui.pager.hidden = true;
  ui.empty.hidden = false;
  ui.status.textContent = "搜索暂时无法使用，请稍后再试，或浏览下面的列表。";
  console.error("search failed:", err);
  finish(ui, "error");
}

function describe(state) {
  const parts = [];
  if (state.q) parts.push(`“${state.q}”`);
  const chosen = Object.values(state.filters);
  if (chosen.length) parts.push(`筛选条件“${chosen.join("、")}”`);
  return parts.join("和");
}

function renderResults(ui, state, data, total, page, pages) {
  ui.list.replaceChildren(...data.map(resultItem));
  ui.list.start = (page - 1) * PAGE_SIZE + 1;
  if (total === 0) {
    ui.status.textContent = `未找到与${describe(state)}相关的结果。`;
  } else {
    const first = (page - 1) * PAGE_SIZE + 1;
    const last = first + data.length - 1;
    ui.status.textContent = pages > 1
      ? `找到 ${total} 条结果，当前显示第 ${first}–${last} 条（第 ${page} / ${pages} 页）。`
      : `找到 ${total} 条结果。`;
  }
  ui.empty.hidden = total !== 0;
  renderPager(ui.pager, page, pages);
  finish(ui, "done");
}

function renderPager(nav, page, pages) {
  nav.replaceChildren();
  nav.hidden = pages <= 1;
  if (pages <= 1) return;
  const link = (label, target, rel) => {
    const a = document.createElement("a");
    a.href = pageUrl(target);
    a.rel = rel;
    a.textContent = label;
    return a;
  };
  if (page > 1) nav.append(link("上一页", page - 1, "prev"));
  const where = document.createElement("span");
  where.textContent = `第 ${page} / ${pages} 页`;
  nav.append(where);
  if (page < pages) nav.append(link("下一页", page + 1, "next"));
}

function cnDate(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || "");
  return m ? `${m[1]}年${Number(m[2])}月${Number(m[3])}日` : iso || "";
}

function field(label, value, isoDate) {
  const div = document.createElement("div");
  const dt = document.createElement("dt");
  const dd = document.createElement("dd");
  dt.textContent = label;
  if (isoDate) {
    const time = document.createElement("time");
    time.dateTime = isoDate;
    time.textContent = cnDate(isoDate);
    dd.append(time);
  } else {
    dd.textContent = value;
  }
  div.append(dt, dd);
  return div;
}

// Pagefind's excerpt is HTML-escaped text with <mark> around hits; rebuild it
// from text nodes so nothing but <mark> can ever reach the page.
function excerpt(html) {
  const template = document.createElement("template");
  template.innerHTML = html || "";
  const p = document.createElement("p");
  p.className = "hit-excerpt";
  for (const node of template.content.childNodes) {
    if (node.nodeName === "MARK") {
      const mark = document.createElement("mark");
      mark.textContent = node.textContent;
      p.append(mark);
    } else {
      p.append(node.textContent);
    }
  }
  return p;
}

function resultItem(result) {
  const meta = result.meta || {};
  const li = document.createElement("li");
  li.className = "hit";
  const h = document.createElement("h3");
  h.className = "hit-title";
  const a = document.createElement("a");
  a.href = result.url;
  a.textContent = meta.title || result.url;
  h.append(a);
  li.append(h);
  const dl = document.createElement("dl");
  dl.className = "hit-fields";
  if (meta.doc_no) {
    dl.append(field("文书编号", meta.doc_no));
    if (meta.party) dl.append(field("当事人", meta.party));
    if (meta.date) dl.append(field("决定日期", "", meta.date));
    if (meta.category) dl.append(field("类别", meta.category));
  } else if (meta.type) {
    dl.append(field("栏目", meta.type));
  }
  if (dl.childElementCount) li.append(dl);
  li.append(excerpt(result.excerpt));
  return li;
}
