"""``report.html``: one self-contained page (inline CSS and SVG, no script, nothing
fetched) that shows the results: intended vs model distribution per behavior, and
divergence per HHH property and per stakeholder.

Every text that comes from policies or models is HTML-escaped: it is data, never markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from policykit.evaluate.judges.base import UNCLASSIFIED
from policykit.evaluate.results import BehaviorResult, CaseResult, Divergence, Results

ALARM = 0.1
"""An unclassified share above this is flagged at the top of the report."""

INTENDED = "#9aa5b1"
MODEL = "#2f6fde"
BAD = "#d64545"

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;
max-width:1100px;color:#1f2933;padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:1px solid #e4e7eb}
.meta{color:#616e7c}.tiles{display:flex;gap:1rem;flex-wrap:wrap;margin:1rem 0}
.tile{border:1px solid #e4e7eb;border-radius:6px;padding:.6rem 1rem;min-width:7rem}
.tile b{display:block;font-size:1.4rem}.tile span{color:#616e7c;font-size:.85rem}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(350px,1fr));gap:1rem}
.card{border:1px solid #e4e7eb;border-radius:6px;padding:.6rem .8rem}
.card h3{font-size:1rem;margin:.1rem 0}.card p{margin:.1rem 0 .4rem;color:#616e7c;font-size:.85rem}
table{border-collapse:collapse;width:100%;font-size:.85rem}
td,th{border-bottom:1px solid #e4e7eb;padding:.25rem .4rem;text-align:left;vertical-align:top}
.legend i{display:inline-block;width:.8rem;height:.8rem;margin:0 .3rem 0 1rem;vertical-align:-1px}
code{font-size:.85rem}
.warn{border-left:4px solid #d64545;background:#fdf0f0;padding:.5rem .8rem;margin:1rem 0}
.badge{display:inline-block;background:#f7c948;color:#1f2933;border-radius:3px;
padding:0 .35rem;font-size:.75rem;margin-left:.4rem}
.tile.alarm{border-color:#d64545}.tile.alarm b{color:#d64545}
"""


def _num(x: float | None, digits: int = 3) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _hbars(rows: Sequence[tuple[str, float | None, str]], *, scale: float, width: int = 520) -> str:
    """Horizontal bars: (label, value, color) per row; values over ``scale`` clip."""
    label_w, bar_w, row_h = 150, width - 150 - 60, 22
    height = row_h * len(rows) + 6
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" viewBox="0 0 {width} {height}">'
    ]
    for i, (label, value, color) in enumerate(rows):
        y = 3 + i * row_h
        v = 0.0 if value is None else max(0.0, value)
        w = 0 if scale <= 0 else min(1.0, v / scale) * bar_w
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" font-size="12">'
            f"{escape(label)}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{bar_w}" height="{row_h - 6}" '
            f'fill="#f0f2f5"/>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" '
            f'fill="{color}"><title>{escape(label)}: {_num(value)}</title></rect>'
            f'<text x="{label_w + bar_w + 6}" y="{y + 15}" font-size="12">{_num(value)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _distribution_chart(
    outcomes: Sequence[str],
    intended: dict[str, float],
    model: dict[str, float],
    bounds_max: dict[str, float] | None = None,
) -> str:
    width, label_w, row_h = 350, 150, 30
    bar_w = width - label_w - 40
    height = row_h * len(outcomes) + 4
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" viewBox="0 0 {width} {height}">'
    ]
    for i, o in enumerate(outcomes):
        y = 2 + i * row_h
        pi, pm = intended.get(o, 0.0), model.get(o, 0.0)
        forbidden = bounds_max is not None and bounds_max.get(o, 1.0) <= 0.0
        color = BAD if (forbidden or o == UNCLASSIFIED) and pm > 0.05 else MODEL
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 17}" text-anchor="end" font-size="11">'
            f"{escape(o)}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{pi * bar_w:.1f}" height="10" '
            f'fill="{INTENDED}"><title>intended {escape(o)}: {pi:.3f}</title></rect>'
            f'<rect x="{label_w}" y="{y + 14}" width="{pm * bar_w:.1f}" height="10" '
            f'fill="{color}"><title>model {escape(o)}: {pm:.3f}</title></rect>'
            f'<text x="{label_w + bar_w + 4}" y="{y + 12}" font-size="10" fill="#616e7c">'
            f"{pi:.2f}</text>"
            f'<text x="{label_w + bar_w + 4}" y="{y + 24}" font-size="10">{pm:.2f}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _tiles(d: Divergence) -> str:
    items = [
        ("score", _num(d.score), "1 − JS; 1 = as intended", False),
        ("KL", _num(d.kl), "nats, P_model ‖ P_intended", False),
        ("JS", _num(d.js), "bits", False),
        ("TV", _num(d.tv), "total variation", False),
        ("violation", _num(d.violation), "mass outside the bounds", False),
        (
            "unclassified",
            "–" if d.unclassified is None else f"{d.unclassified:.0%}",
            "answers that fit no outcome" if d.unclassified is not None else "not seen",
            d.unclassified is not None and d.unclassified > ALARM,
        ),
    ]
    return (
        '<div class="tiles">'
        + "".join(
            f'<div class="tile{" alarm" if alarm else ""}"><span>{escape(k)}</span><b>{v}</b>'
            f"<span>{escape(note)}</span></div>"
            for k, v, note, alarm in items
        )
        + "</div>"
    )


def _share(model: dict[str, float], unclassified: float | None) -> dict[str, float]:
    """The model's distribution over all its responses: classified outcomes scaled by
    (1 - u), and u itself."""
    if unclassified is None:
        return model
    return {**{o: p * (1 - unclassified) for o, p in model.items()}, UNCLASSIFIED: unclassified}


def _warnings(results: Results) -> str:
    parts = []
    u = results.overall.unclassified
    if u is not None and u > ALARM:
        parts.append(
            f"<p class=warn><b>{u:.0%} of the model's responses fit no outcome</b> "
            "(off-topic, incoherent or no answer). They count against the model as an "
            "outcome no policy intends: a model that answers half its prompts with word "
            "salad is at least 0.5 away in total variation.</p>"
        )
    if u is None:
        parts.append(
            "<p class=warn>This estimate scores the outcomes' exemplars (likelihood): it "
            "cannot see answers that fit no outcome, and it is a proxy for what the model "
            "generates. <code>--backend generate</code> measures what the model says.</p>"
        )
    if results.unreliable:
        parts.append(
            f"<p class=warn><b>{len(results.unreliable)} behaviors are unreliable</b>: "
            f"{escape(', '.join(results.unreliable))}. Their cards say why.</p>"
        )
    return "".join(parts)


def _divergence_section(title: str, rows: dict[str, Divergence], note: str) -> str:
    if not rows:
        return ""
    names = list(rows)
    scale = max([1e-9, *(rows[n].kl or 0.0 for n in names)])
    kl_chart = _hbars([(n, rows[n].kl, MODEL) for n in names], scale=scale)
    js_chart = _hbars([(n, rows[n].js, MODEL) for n in names], scale=1.0)
    viol_chart = _hbars([(n, rows[n].violation, BAD) for n in names], scale=1.0)
    return (
        f"<h2>{escape(title)}</h2><p class=meta>{escape(note)}</p>"
        f"<h4>KL (nats)</h4>{kl_chart}<h4>Jensen–Shannon (bits)</h4>{js_chart}"
        f"<h4>hard-violation mass</h4>{viol_chart}"
    )


def render_html(results: Results) -> str:
    """The page: what was run, the overall numbers, divergence per property,
    stakeholder and kind, a card per behavior (largest TV first) and every case."""
    spec = results.spec
    upper = _upper_bounds(results)
    behaviors = sorted(results.behaviors.items(), key=lambda kv: -(kv[1].tv or 0.0))
    cards = [_behavior_card(name, b, upper.get(name)) for name, b in behaviors]
    case_rows = "".join(
        _case_row(c) for c in sorted(results.cases, key=lambda c: (c.behavior, c.cell, c.id))
    )
    stakeholders: dict[str, Divergence] = dict(results.stakeholders)
    properties: dict[str, Divergence] = dict(results.properties)
    return (
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
        f"<title>policykit eval — {escape(spec.project)}</title><style>{CSS}</style></head><body>"
        f"<h1>policykit eval — {escape(spec.project)}</h1>"
        f"{_run_meta(results)}"
        f"{_warnings(results)}"
        f"{_tiles(results.overall)}"
        "<p class=meta>Each number measures how far the model's distribution over a "
        "behavior's outcomes (P_model) is from what the stakeholders' policies intend "
        "(P_intended); lower is better, except the score. KL is the formula policykit "
        "minimizes; violation is probability on outcomes that a hard rule forbids.</p>"
        + _divergence_section(
            "By HHH property", properties, "Behaviors weighted by their mean cell weight."
        )
        + _divergence_section(
            "By stakeholder",
            stakeholders,
            "The cases each stakeholder's rules cover, weighted by how many of its rules do.",
        )
        + (
            _divergence_section(
                "By kind",
                dict(results.kinds),
                "The cases of all stakeholders of a kind together (developer, deployer, user, "
                "society), weighted by how many of their rules cover each.",
            )
            if results.kinds
            else ""
        )
        + "<h2>By behavior</h2><p class=legend>"
        f'<i style="background:{INTENDED}"></i>intended'
        f'<i style="background:{MODEL}"></i>model'
        f'<i style="background:{BAD}"></i>model, on a forbidden outcome or unclassified'
        " — sorted by total variation, largest first; the model's bars are shares of all "
        "its responses</p>"
        f'<div class="grid">{"".join(cards)}</div>'
        "<h2>Cases</h2><details><summary>all evaluated cases</summary><table>"
        "<tr><th>id</th><th>behavior</th><th>context</th><th>intended</th>"
        "<th>model (classified)</th><th>unclassified</th>"
        f"<th>KL</th><th>TV</th><th>violation</th></tr>{case_rows}</table></details>"
        f"<p class=meta>{escape(results.metrics.unclassified)}. "
        f"{escape(results.metrics.aggregation)}. "
        f"Smoothing: ε = {results.metrics.epsilon:g}. "
        f"policykit {escape(results.policykit_version)}.</p>"
        "</body></html>\n"
    )


def _run_meta(results: Results) -> str:
    """The lines under the title: model, backend, device, cases, spec, seed, timing and
    the backend's settings."""
    run = results.run
    overhead = run.seconds.overhead
    settings = " · ".join(f"{k} {v}" for k, v in run.options.items() if v is not None)
    return (
        f"<p class=meta>model <b>{escape(run.model)}</b> · backend {escape(run.backend)} · "
        f"device {escape(run.device)} · {results.overall.cases} cases"
        f"{f' ({results.missing} without an estimate)' if results.missing else ''} · "
        f"spec <code>{escape(results.spec.inputs_hash[:19])}</code> · seed {run.seed} · "
        f"{run.seconds.total:.1f} s (model {run.seconds.model:.1f} s"
        f"{'' if overhead is None else f', policykit overhead {overhead:.1%}'}) · "
        f"{escape(run.started)}</p>"
        f"<p class=meta>{escape(settings)}</p>"
    )


def _upper_bounds(results: Results) -> dict[str, dict[str, float]]:
    """Per behavior and outcome, the largest upper bound over its cases: 0 where every
    case forbids the outcome."""
    upper: dict[str, dict[str, float]] = {}
    for case in results.cases:
        entry = upper.setdefault(case.behavior, {})
        for o, bound in case.bounds.items():
            entry[o] = max(entry.get(o, 0.0), bound.max)
    return upper


def _behavior_card(name: str, b: BehaviorResult, upper: dict[str, float] | None) -> str:
    """A behavior's card: its numbers, why it may be unreliable, how far a second
    estimator agrees, and the intended and model distributions side by side."""
    model = _share(b.model, b.unclassified)
    outcomes = [*sorted(b.model), *([UNCLASSIFIED] if b.unclassified is not None else [])]
    badge = (
        f'<span class=badge title="{escape("; ".join(b.unreliable))}">unreliable</span>'
        if b.unreliable
        else ""
    )
    why = f"<p>unreliable: {escape('; '.join(b.unreliable))}</p>" if b.unreliable else ""
    agreement = ""
    if b.agreement is not None:
        a = b.agreement
        interval = "" if a.interval is None else f" (95% {a.interval[0]:.2f}–{a.interval[1]:.2f})"
        agreement = (
            f"<p>{escape(a.backend)} estimate: TV {a.tv:.2f}{interval} from this one"
            f"{' — they disagree' if a.disagree else ''}</p>"
        )
    return (
        f'<div class="card"><h3>{escape(name)}{badge}</h3>'
        f"<p>{escape(b.property)} · {b.cases} case{'s' * (b.cases != 1)} · "
        f"KL {_num(b.kl)} · JS {_num(b.js)} · TV {_num(b.tv)} · "
        f"violation {_num(b.violation)}"
        f"{'' if b.unclassified is None else f' · unclassified {b.unclassified:.0%}'}</p>"
        f"{why}{agreement}"
        f"{_distribution_chart(outcomes, b.intended, model, upper)}</div>"
    )


def _case_row(c: CaseResult) -> str:
    """One row of the table of cases."""
    return (
        "<tr>"
        f"<td><code>{escape(c.id)}</code></td><td>{escape(c.behavior)}</td>"
        f"<td>{escape(', '.join(f'{k}={v}' for k, v in sorted(c.context.items())))}</td>"
        f"<td>{escape('  '.join(f'{o} {p:.2f}' for o, p in sorted(c.intended.items())))}</td>"
        f"<td>{escape('  '.join(f'{o} {p:.2f}' for o, p in sorted(c.model.items())))}</td>"
        f"<td>{'–' if c.unclassified is None else f'{c.unclassified:.0%}'}</td>"
        f"<td>{c.kl:.3f}</td><td>{c.tv:.3f}</td><td>{c.violation:.3f}</td></tr>"
    )
