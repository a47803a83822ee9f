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
const RERANK = 30;
const VERIFY_ALL = 60; // up to this many results, each is checked (keepMatching)
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
    more: document.getElementById("search-more"),
  };
  const bundle = new URL(form.dataset.bundle, document.baseURI);
  const root = new URL(form.dataset.root, document.baseURI).pathname;
  const shards = words(form.dataset.shards); // newest first
  const years = words(form.dataset.years);
  // At province scale a search over every bundle would fetch every bundle's metadata
  // (~10 bytes a page) and its index chunk for each word: a search covers the newest
  // bundles (of the year asked for, if one is) up to data-first-pages pages, and each
  // "继续搜索更早的记录" (?more=N) one batch more.
  const sizes = new Map(words(form.dataset.shardPages).map((n, i) => [shards[i], Number(n)]));
  const budget = Number(form.dataset.firstPages) || Infinity;
  const reach = (parts, more) => {
    let n = 0;
    let sum = 0;
    while (n < parts.length && (n <= more || sum + sizes.get(parts[n]) <= budget * (more + 1))) {
      sum += sizes.get(parts[n]) || 0;
      n += 1;
    }
    return n;
  };
  let pagefind = null;
  let latest = 0;
  const merged = new Map(); // year bundle -> its mergeIndex() promise
  const known = new Map(); // candidate word -> is it a word of the merged index?
  // The library and the primary bundle, loaded once (again after a failure).
  const primary = () => (pagefind ??= loadPagefind(bundle, root).catch((err) => {
    pagefind = null;
    merged.clear();
    throw err;
  }));
  // The bundles a search needs: of a year's bundle, or of its month bundles ("2025-03")
  // in a large year, or of every bundle without a year filter, the newest ones within
  // reach (see above).
  const scope = (state) => {
    const parts = ofYear(shards, state.filters.year);
    return parts.slice(0, reach(parts, state.more));
  };
  const engine = async (needed) => {
    const pf = await primary();
    for (const shard of needed) {
      if (!merged.has(shard)) {
        known.clear(); // a newly merged bundle may know more words
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
      const needed = scope(state);
      const pf = await engine(needed);
      // Date order is built bundle by bundle, newest first (see find()).
      const results = await runSearch(pf, known, state, ui, shards.length ? needed : years);
      const pages = Math.max(1, Math.ceil(results.length / PAGE_SIZE));
      const page = Math.min(state.page, pages);
      const slice = results.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
      const data = await Promise.all(slice.map((r) => r.data()));
      if (ticket !== latest) return; // a newer search has started
      renderResults(ui, state, data, results.length, page, pages);
      renderMore(ui, state, needed.length < ofYear(shards, state.filters.year).length ? needed : null);
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
  for (const nav of [ui.pager, ui.more]) {
    nav.addEventListener("click", (event) => {
      const link = event.target.closest("a[href]");
      if (!link) return;
      event.preventDefault();
      history.pushState(null, "", link.href);
      show(true);
    });
  }
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
  // Lists and guides weigh less than enforcement results: people come to find cases.
  await pf.options({ baseUrl: root, ranking: RANKING, excerptLength: 40, indexWeight: 0.5 });
  // On a Chinese page Pagefind splits queries with the browser's word segmenter, which
  // often cuts differently from the index (南关 -> 南|关, and 关 then excludes the very
  // page that says 南关).  indexWords() splits queries against the index's own words
  // instead, so Pagefind must take the words as given: it reads <html lang> once,
  // synchronously, when it starts, and is shown "und" (undetermined) for that moment.
  const html = document.documentElement;
  const lang = html.getAttribute("lang");
  html.setAttribute("lang", "und");
  try {
    pf.init();
  } finally {
    html.setAttribute("lang", lang);
  }
  return pf;
}

// ---- query words ----------------------------------------------------------

const HAN = /\p{Script=Han}/u;
const MAX_WORD = 4; // the index's Chinese words are short (search-engine segmentation)

// Is ``word`` a whole word of the (merged) index?  An exact search answers that.
function isIndexWord(pf, known, word) {
  if (!known.has(word)) {
    known.set(word, pf.search(`"${word}"`).then((r) => r.results.length > 0));
  }
  return known.get(word);
}

// The query as words of the index.  Pagefind's indexer cuts Chinese by context (春城市
// is 春|城市 on one page and 春城|市 on another), and a query word that does not start a
// word of a page excludes that page.  So a run of Chinese characters is cut only where
// no index word crosses; a piece that is exactly one index word is searched as that
// word, any other piece by its first character, which starts a word however a page was
// cut (Pagefind matches words by prefix); characters that are in no index word go
// together as one term (Pagefind falls back to the longest index word it starts with,
// or drops it).  rerank() then puts the pages that contain
// the whole query first.  Other runs stay whole when the index has them, else split
// where digits meet letters as the indexer does (91220101MA00011111).
async function indexWords(pf, known, query) {
  const words = [];
  const pieces = []; // the query's text pieces: a page must contain every one of them
  for (const run of query.match(/\p{Script=Han}+|[^\p{Script=Han}\s\p{P}\p{S}]+/gu) || []) {
    if (!HAN.test(run)) {
      const whole = await isIndexWord(pf, known, run.toLowerCase());
      words.push(...(whole ? [run] : run.split(/(?<=\d)(?=\p{L})/u)));
      pieces.push(run);
      continue;
    }
    const spans = [];
    for (let i = 0; i < run.length; i++) {
      for (let n = 2; n <= MAX_WORD && i + n <= run.length; n++) spans.push([i, i + n]);
    }
    const isWord = await Promise.all(spans.map(([a, b]) => isIndexWord(pf, known, run.slice(a, b))));
    const found = spans.filter((_, i) => isWord[i]);
    let start = 0;
    let loose = ""; // characters in no index word, searched together as one prefix
    for (let k = 1; k <= run.length; k++) {
      if (k < run.length && found.some(([a, b]) => a < k && k < b)) continue; // a word crosses k
      const inside = found.filter(([a, b]) => a >= start && b <= k);
      const piece = run.slice(start, k);
      if (!inside.length) {
        loose += piece;
      } else {
        if (loose) {
          words.push(loose);
          pieces.push(loose);
        }
        loose = "";
        const oneWord = inside.length === 1 && inside[0][0] === start && inside[0][1] === k;
        words.push(oneWord ? piece : piece[0]);
        pieces.push(piece);
      }
      start = k;
    }
    if (loose) {
      words.push(loose);
      pieces.push(loose);
    }
  }
  return { term: words.join(" "), pieces };
}

// The browser's own segmentation: the fallback when the index words find nothing.
function browserWords(query) {
  if (typeof Intl.Segmenter !== "function") return query;
  const segmenter = new Intl.Segmenter("zh", { granularity: "word" });
  return Array.from(segmenter.segment(query)).filter((s) => s.isWordLike).map((s) => s.segment).join(" ");
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
  const more = Number.parseInt(params.get("more") || "0", 10);
  return {
    more: Number.isFinite(more) && more > 0 ? more : 0,
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

async function runSearch(pf, known, state, ui, parts) {
  const filters = {};
  for (const select of ui.selects) {
    const value = state.filters[select.name];
    if (value) filters[select.dataset.filter] = value;
  }
  if (!state.q) return find(pf, null, filters, state.sort, parts);
  // An amount ("52000", "52,000元") is looked up as that exact number: Pagefind would
  // otherwise fall back to any number the digits start with ("5", "52").
  const amount = /^\s*(\d[\d,，]*)\s*元?\s*$/u.exec(state.q);
  const digits = amount && amount[1].replace(/[,，]/g, "");
  const { term, pieces } = amount ? { term: `"${digits}"`, pieces: [digits] }
    : await indexWords(pf, known, state.q);
  let found = term ? await find(pf, term, filters, state.sort, parts) : [];
  const fallback = browserWords(state.q);
  if (!found.length && fallback && fallback !== term) {
    found = await find(pf, fallback, filters, state.sort, parts);
  }
  found = await keepMatching(found.map(memo), pieces);
  return state.sort ? found : rerank(found, state.q);
}

// Pagefind keeps a page when the query words it knows match, and drops the words it
// does not know; so a few results may not contain what was asked.  When there are not
// many, every one is checked against the query's text and the strays are left out —
// the words of a record that is not published then find nothing at all.
async function keepMatching(results, pieces) {
  if (results.length > VERIFY_ALL || !pieces.length) return results;
  const keys = pieces.map(squash).filter(Boolean);
  const data = await Promise.all(results.map((r) => r.data()));
  return results.filter((_, i) => {
    const text = squash(`${data[i].content} ${Object.values(data[i].meta || {}).join(" ")}`);
    return keys.every((k) => text.includes(k));
  });
}

// The bundles of ``year`` ("2025", or its months "2025-01" …); all of them without one.
function ofYear(parts, year) {
  return year ? parts.filter((p) => p === year || p.startsWith(`${year}-`)) : parts;
}

async function find(pf, term, filters, sort, parts) {
  if (!sort) {
    return (await pf.search(term, { filters })).results;
  }
  // Pagefind sorts each merged bundle on its own and interleaves them, so a date order
  // over several bundles is built here: one search per bundle — a year ("2025") or a
  // month of a large year ("2025-03", matched by the 月份 filter) — newest first (or
  // oldest first).  Pages without a decision date (lists) drop out.
  const dir = sort === "old" ? "asc" : "desc";
  let order = ofYear(parts, filters["年份"]);
  if (dir === "asc") order = order.reverse();
  const out = [];
  for (const part of order) {
    const only = { 年份: part.slice(0, 4), ...(part.length > 4 ? { 月份: part } : {}) };
    const found = await pf.search(term, { filters: { ...filters, ...only }, sort: { date: dir } });
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
// is inside the 文号 or party; the query is inside the text; the rest — each
// group in Pagefind's order, results before lists.  Chinese has no spaces, so "the whole query as one
// string" is what a person searching a name or a 文号 means.
async function rerank(results, term) {
  const key = squash(term);
  const head = results.slice(0, RERANK);
  const data = await Promise.all(head.map((r) => r.data()));
  const tier = (d) => {
    const m = d.meta || {};
    if (key === squash(m.doc_no) || key === squash(m.party)) return 3;
    if ([m.doc_no, m.party].some((v) => squash(v).includes(key))) return 2;
    return squash(d.content).includes(key) ? 1 : 0;
  };
  // Within a group enforcement results come before lists and guides.
  const ranked = head.map((r, i) => ({ r, i, t: tier(data[i]) * 2 + (data[i].meta?.doc_no ? 1 : 0) }));
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
  ui.more.hidden = true;
  finish(ui, "idle");
}

function renderError(ui, err) {
  ui.list.replaceChildren();
  ui.pager.hidden = true;
  ui.empty.hidden = false;
  ui.status.textContent = "搜索暂时无法使用，请稍后再试，或浏览下面的列表。";
  ui.more.hidden = true;
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

// A search that covered only the newest bundles says how far back it looked and links
// to the same search one batch of bundles further back (?more=N+1, first page).
function renderMore(ui, state, searched) {
  ui.more.replaceChildren();
  ui.more.hidden = !searched;
  if (!searched) return;
  const month = (part) => {
    const m = /^(\d{4})(?:-(\d{2}))?$/.exec(part) || [];
    return m[2] ? `${m[1]}年${Number(m[2])}月` : `${m[1]}年`;
  };
  const since = month(searched[searched.length - 1]);
  // Within a year filter: "2024年10月至2024年12月的记录"; else "2025年3月以来的记录".
  const span = state.filters.year ? `${since}至${month(searched[0])}的记录` : `${since}以来的记录`;
  const url = new URL(location.href);
  url.searchParams.set("more", String(state.more + 1));
  url.searchParams.delete("page");
  const a = document.createElement("a");
  a.href = url.href;
  a.textContent = "继续搜索更早的记录";
  ui.more.append(`以上是${span}。`, a);
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
