"""The HTML page: sections, tables and the script that embeds every chart, with Vega, Vega-Lite and
Vega-Embed inlined (no CDN, no web font), so the file opens offline.

Every chart sits in a ``div.chart``; once Vega-Embed has drawn it the div carries ``data-rendered="1"``, a
chart that fails says so in its place and in the page's error box (and the browser console).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

VEGA_LITE_VERSION = "6.4"  # Altair 6's schema: the bundle must render the same Vega-Lite major/minor


def vega_bundle(cache_dir: Path | None = None) -> str:
    """Vega, Vega-Lite and Vega-Embed in one script, from the vl-convert-python wheel (no network).

    Bundling takes ~3 s per process, so the script is kept in ``cache_dir`` under a name carrying both
    versions: a new wheel or Vega-Lite version bundles afresh."""
    import vl_convert

    cached = None
    if cache_dir is not None:
        cached = Path(cache_dir) / f"vega-embed-vlconvert{vl_convert.__version__}-vl{VEGA_LITE_VERSION}.js"
        if cached.exists():
            return cached.read_text(encoding="utf-8")
    bundle = vl_convert.javascript_bundle(vl_version=VEGA_LITE_VERSION)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_name(f".{cached.name}.{os.getpid()}")
        partial.write_text(bundle, encoding="utf-8")
        os.replace(partial, cached)
    return bundle


@dataclass
class Section:
    title: str
    intro: str = ""
    blocks: list[str] = field(default_factory=list)

    def chart(self, chart_id: str) -> None:
        self.blocks.append(f'<div class="chart" id="{escape(chart_id)}" data-spec="{escape(chart_id)}"></div>')

    def absent(self, what: str) -> None:
        self.blocks.append(f'<p class="absent">{escape(what)}</p>')

    def html(self, text: str) -> None:
        self.blocks.append(text)


def table(headers: list[str], rows: list[list], numeric_from: int = 1) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f'<td{" class=num" if i >= numeric_from else ""}>{escape(str(c))}</td>'
                                    for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f'<div class="table"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _script_json(value) -> str:
    """JSON safe inside a <script> element."""
    return json.dumps(value, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")


CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:0;color:#1f1f1f;
background:#f6f7f9;font-size:15px;line-height:1.45}
main{max-width:1180px;margin:0 auto;padding:16px 20px 60px}
h1{font-size:22px;margin:8px 0 2px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta{color:#666;font-size:13px}
.verdict{display:flex;gap:18px;align-items:center;background:#fff;border-radius:8px;padding:14px 18px;
border-left:8px solid var(--tone);box-shadow:0 1px 2px rgba(0,0,0,.08)}
.verdict .mult{font-size:40px;font-weight:700;color:var(--tone)}
.verdict .what{font-size:17px}
.sentences p{margin:6px 0;background:#fff;padding:8px 12px;border-radius:6px}
.sentences b{display:inline-block;min-width:110px}
.chart{background:#fff;border-radius:8px;padding:8px 0;margin:10px 0;min-height:60px;display:block!important;
box-sizing:border-box;width:100%}
.chart .error,.errors{color:#b00020;font-weight:600}
.absent{background:#fff8e1;border-left:4px solid #f0b400;padding:8px 12px;border-radius:4px}
.table{overflow-x:auto;background:#fff;border-radius:8px;margin:10px 0}
table{border-collapse:collapse;font-size:13px;width:100%}th,td{padding:4px 8px;border-bottom:1px solid #eee;
text-align:left;vertical-align:top}td.num,td:first-child{white-space:nowrap}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.held{color:#b00020;font-weight:700}.not{color:#2c7a2c}
.controls{position:sticky;top:0;z-index:5;background:#f6f7f9;padding:8px 0;border-bottom:1px solid #ddd}
.controls button{font:inherit;margin-right:6px;padding:3px 10px;border:1px solid #999;border-radius:4px;
background:#fff;cursor:pointer}.controls button.on{background:#1f1f1f;color:#fff}
"""

SCRIPT = """
(function(){
  const status = window.REPORT_STATUS = {expected: 0, rendered: 0, errors: []};
  const datasets = {};
  for (const [name, table] of Object.entries(REPORT_DATA)) {
    datasets[name] = table.rows.map(r => Object.fromEntries(table.columns.map((c, i) => [c, r[i]])));
  }
  const errorBox = document.getElementById('render-errors');
  const views = [];
  const charts = document.querySelectorAll('div.chart');
  status.expected = charts.length;
  const done = [];
  charts.forEach(div => {
    const spec = REPORT_SPECS[div.dataset.spec];
    if (!spec) { fail(div, 'no specification for ' + div.dataset.spec); return; }
    spec.datasets = datasets;
    done.push(vegaEmbed(div, spec, {actions: false, renderer: 'canvas'}).then(result => {
      views.push(result.view);
      div.dataset.rendered = '1';
      status.rendered += 1;
    }).catch(error => fail(div, String(error && error.message || error))));
  });
  function fail(div, message) {
    div.dataset.error = message;
    div.innerHTML = '<p class="error"></p>';
    div.firstChild.textContent = 'This chart failed to render: ' + message;
    status.errors.push(div.id + ': ' + message);
    errorBox.hidden = false;
    errorBox.textContent = 'Charts that failed to render: ' + status.errors.join('; ');
    console.error('chart ' + div.id + ' failed: ' + message);
  }
  Promise.all(done).then(() => { document.body.dataset.chartsDone = '1'; });
  document.querySelectorAll('.controls button').forEach(button => button.addEventListener('click', () => {
    const since = Number(button.dataset.since);
    document.querySelectorAll('.controls button').forEach(b => b.classList.toggle('on', b === button));
    views.forEach(view => view.signal('since', since).runAsync());
  }));
})();
"""


def render(*, title: str, meta: str, verdict_html: str, sections: list[Section], data: dict, specs: dict,
           spans: list[tuple[str, float]], default_span: int, library: str) -> str:
    """The whole page as one string."""
    buttons = "".join(f'<button data-since="{since:.0f}"{" class=on" if i == default_span else ""}>{escape(label)}'
                      f"</button>" for i, (label, since) in enumerate(spans))
    body = "".join(f"<section><h2>{escape(s.title)}</h2>" + (f"<p>{escape(s.intro)}</p>" if s.intro else "")
                   + "".join(s.blocks) + "</section>" for s in sections)
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<meta name="viewport" content="width=device-width,initial-scale=1"><style>{CSS}</style></head>'
            f"<body><main>"
            f'<h1>{escape(title)}</h1><p class="meta">{escape(meta)}</p>'
            f'<p id="render-errors" class="errors" hidden></p>{verdict_html}'
            f'<div class="controls">Charts show: {buttons}</div>{body}</main>'
            f"<script>{library}</script>"
            f"<script>const REPORT_DATA={_script_json(data)};const REPORT_SPECS={_script_json(specs)};</script>"
            f"<script>{SCRIPT}</script></body></html>")
