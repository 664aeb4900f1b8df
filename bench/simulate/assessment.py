"""The year's assessment (附件2, ``year_end_assessment`` + ``year_end_self_assessment``) of
``make simulate-year``, driven over the API as the real users would (docs/assessment.md §5):

- 11-01 the administrator uploads the 附件2 score sheet for the year (``POST
  /api/v1/assessment/sheets``, the bundled 2026 sheet with the year changed) and activates it,
  then opens the campaign (``POST /api/v1/assessment/campaigns``; due date 11-30): the province's
  process starts one self-assessment process per city and directly administered county;
- 11-05 … 11-28 each unit's 填表人 uploads its evidence (cities one PDF each, ``POST
  .../units/<id>/evidence``), saves the self-assessment citing it and hands it to the unit's
  领导 (填报自评), who approves and reports it (领导审核自评); 开封市's leader returns it once
  first. When every unit reported, the self-assessment phase ends by itself; otherwise (the
  smoke run, which drives only some units) the assessors end it (结束自评);
- 12-01 the assessors draw the sites (seeded; the ledger's affordable-housing projects in
  construction, which this script records each quarter), 12-02 … 12-07 record each site's
  visit, 12-09 score every unit (``PUT .../units/<id>/scores``) and complete its 考核评分 task;
  12-10 the province's 审核人 passes each 复核评分表 (洛阳市's returned once and scored again);
- the process ranks; the script compares the ranking with the totals and competition ranks it
  computed itself from the sheet file and the judgments it sent; 12-11 the assessors confirm
  the laggards the script computed itself (确认工作落后地区, through the task API: the step has no
  button of its own in the assessment API); 12-14 the province's 领导 approves with an award.

Every call is an API call (no HTML form is needed: the API's evidence upload and site-visit
routes were added for this). Latencies are recorded under ``assess …`` kinds.
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from bench import prod
from bench.simulate.run import TZ, YEAR, Failure, Sim

SHEET = prod.ROOT / "webapp" / "assessment" / "sheets" / "fujian2_2026.json"
#: The unit whose self-assessment its leader returns once, and whose scores the reviewer does.
RETURNED_SELF, RETURNED_SCORES = "410200", "410300"
PDF = b"%PDF-1.4\n% simulated evidence\n%%EOF\n"
CENT = Decimal("0.01")


def _save_and_submit(sim: Any, clerk: str, uid: int, body: dict[str, Any]) -> None:
    """The unit's clerk saves its self-assessment and submits it."""
    url = f"/api/v1/assessment/units/{uid}/self-assessment"
    sim.call(clerk, "assess self save", "PUT", url, body)
    sim.call(clerk, "assess self submit", "POST", f"{url}/submit")


def _at(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(YEAR, month, day, hour, tzinfo=TZ)


def _upload(sim: Sim, who: str, path: str, filename: str, data: bytes) -> Any:
    """A multipart upload (field ``file``), as a browser's or an API client's form sends it."""
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return sim.call_raw(
        who, "assess evidence", "POST", path, body, f"multipart/form-data; boundary={boundary}"
    )


# The script's own scoring (docs/assessment.md §2), from the sheet file and its judgments ------
def _item_score(item: dict[str, Any], judgment: dict[str, list[str]] | None) -> Decimal:
    points, rule = Decimal(str(item["points"])), item["rule"]
    if judgment is None:  # not judged: fully met
        return points
    if rule["kind"] == "deduction":
        start, per = Decimal(str(rule["start"])), Decimal(str(rule["per_unmet"]))
        return min(points, max(Decimal(0), start - per * len(judgment.get("unmet", []))))
    met = set(judgment.get("met", []))
    return min(
        points,
        sum((Decimal(str(p["points"])) for p in rule["parts"] if p["id"] in met), Decimal(0)),
    )


def expected_total(
    sheet: dict[str, Any], judgments: dict[str, Any], direct_county: bool
) -> Decimal:
    """The unit's total on 100; a directly administered county's items marked not applicable
    to it are left out and its total scaled to 100 (half up, two decimals)."""
    got, applicable = Decimal(0), Decimal(0)
    for section in sheet["sections"]:
        for item in section["items"]:
            if direct_county and "direct_county" in item.get("not_applicable", []):
                continue
            got += _item_score(item, judgments.get(item["id"]))
            applicable += Decimal(str(item["points"]))
    if applicable == 100:
        return got.quantize(CENT)
    return (got * 100 / applicable).quantize(CENT, rounding=ROUND_HALF_UP)


def competition_ranks(totals: dict[str, Decimal]) -> dict[str, int]:
    """Highest first, ties share a rank (1, 2, 2, 4)."""
    return {c: 1 + sum(1 for o in totals.values() if o > v) for c, v in totals.items()}


def laggards(totals: dict[str, Decimal], count: int = 3) -> list[str]:
    """The bottom ``count`` (fewer than ``count`` scored strictly less; ties all in), never a
    unit tied with the best."""
    best = max(totals.values())
    return sorted(
        c
        for c, v in totals.items()
        if v < best and sum(1 for o in totals.values() if o < v) < count
    )


def judgments_for(sheet: dict[str, Any], org: str, who: str) -> dict[str, Any]:
    """Deterministic judgments of a unit (``who``: "self" or "assessor"): a few duties unmet
    and parts not met, drawn with a seed of the unit's code."""
    rng = random.Random(f"{who}:{org}")
    items = [i for s in sheet["sections"] for i in s["items"]]
    out: dict[str, Any] = {}
    for item in rng.sample(items, rng.randint(0, 4)):
        rule = item["rule"]
        if rule["kind"] == "deduction":
            duties = [d["id"] for d in rule["duties"]]
            out[item["id"]] = {"unmet": sorted(rng.sample(duties, rng.randint(1, 2)))}
        else:
            parts = [p["id"] for p in rule["parts"]]
            out[item["id"]] = {"met": sorted(rng.sample(parts, rng.randint(0, len(parts) - 1)))}
    return out


# The run ----------------------------------------------------------------------------------------
def _todo(sim: Sim, who: str) -> dict[int, dict[str, Any]]:
    items = sim.call(who, "inbox", "GET", "/api/v1/tasks?view=todo")["items"]
    return {t["id"]: t for t in items}


def _complete(
    sim: Sim,
    who: str,
    kind: str,
    task: dict[str, Any],
    outcome: str,
    comment: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    if task.get("needs_claim"):
        sim.call(who, "claim", "POST", f"/api/v1/tasks/{task['id']}/claim")
    body: dict[str, Any] = {"outcome": outcome, "data": data or {}}
    if comment:
        body["comment"] = comment
    sim.call(who, kind, "POST", f"/api/v1/tasks/{task['id']}/complete", body)


def _units(sim: Sim, cid: int) -> dict[str, dict[str, Any]]:
    detail = sim.call(
        "assessor_410000", "assess campaign", "GET", f"/api/v1/assessment/campaigns/{cid}"
    )
    return {u["org_code"]: u for u in detail["units"]}


def parents_of(org: str, parents: dict[str, str], ancestor: str) -> bool:
    """Whether ``ancestor`` is above ``org`` in the tree."""
    while org in parents:
        org = parents[org]
        if org == ancestor:
            return True
    return False


def run(
    sim: Sim,
    units: set[str],
    tiers: dict[str, str],
    parents: dict[str, str] | None = None,
    quarters: int = 3,
    smoke: bool = False,
) -> dict[str, Any]:
    """Drive the year's 附件2 assessment; returns its figures, raises Failure on a mismatch."""
    sheet = json.loads(SHEET.read_text(encoding="utf-8"))
    sheet["year"] = YEAR
    sim.now = _at(11, 1, 9)
    loaded = sim.call("admin", "assess sheet", "POST", "/api/v1/assessment/sheets", sheet)
    sim.call("admin", "assess sheet", "POST", f"/api/v1/assessment/sheets/{loaded['id']}/activate")
    campaign = sim.call(
        "admin",
        "assess open",
        "POST",
        "/api/v1/assessment/campaigns",
        {"kind": "fujian2", "year": YEAR},
    )
    cid = campaign["id"]
    if campaign["sheet_id"] != loaded["id"]:
        raise Failure(f"campaign opened with sheet {campaign['sheet_id']}, not {loaded['id']}")
    rows = _units(sim, cid)
    assessed = sorted(rows)
    direct = {c for c in assessed if tiers[c] == "direct_county"}
    reporting = [c for c in assessed if c in units]

    # 单位自评: the unit's clerk and leader, through the assessment API's buttons
    for n, org in enumerate(reporting):
        uid = rows[org]["id"]
        sim.now = _at(11, 5 + n % 24, 10)
        clerk, leader = f"clerk_{org}", f"leader_{org}"
        evidence: dict[str, list[str]] = {}
        if tiers[org] == "city":
            ref = _upload(
                sim,
                clerk,
                f"/api/v1/assessment/units/{uid}/evidence",
                f"{org}质量管理年工作总结.pdf",
                PDF,
            )
            evidence = {"1.1": [ref["reference"]]}
        body = {
            "judgments": judgments_for(sheet, org, "self"),
            "summary": f"{YEAR}年度保障性安居工程质量管理年工作总结（模拟数据）。",
            "evidence": evidence,
        }
        _save_and_submit(sim, clerk, uid, body)
        sim.now += timedelta(hours=3)
        if org == RETURNED_SELF:
            sim.call(
                leader,
                "assess self return",
                "POST",
                f"/api/v1/assessment/units/{uid}/self-assessment/return",
                {"reason": "请补充宣传工作的证明材料。"},
            )
            sim.now += timedelta(hours=2)
            body["summary"] += "已补充宣传工作材料。"
            _save_and_submit(sim, clerk, uid, body)
            sim.now += timedelta(hours=2)
        done = sim.call(
            leader,
            "assess self approve",
            "POST",
            f"/api/v1/assessment/units/{uid}/self-assessment/approve",
            {"opinion": "同意上报。"},
        )
        if done["state"] != "self_submitted":
            raise Failure(f"{org}'s self-assessment not reported: {done}")

    # the province: the phase ends (by itself when every unit reported), sampling, visits
    sim.now = _at(12, 1, 9)
    state = sim.call(
        "assessor_410000", "assess campaign", "GET", f"/api/v1/assessment/campaigns/{cid}"
    )["state"]
    closed_by_hand = state == "self_assessment"
    if closed_by_hand:
        state = sim.call(
            "assessor_410000",
            "assess close",
            "POST",
            f"/api/v1/assessment/campaigns/{cid}/close-self-assessment",
        )["state"]
    if state != "scoring" or closed_by_hand != (len(reporting) < len(assessed)):
        raise Failure(f"after the self-assessment: state {state}, closed by hand {closed_by_hand}")
    sim.now = _at(12, 1, 10)
    sample = sim.call(
        "assessor_410000",
        "assess sample",
        "POST",
        f"/api/v1/assessment/campaigns/{cid}/sample",
        # a unit with fewer candidates than sites (济源 has no counties and records three
        # affordable-housing projects by December) is drawn short, as the page's tick box allows
        {"seed": f"sim-{YEAR}", "as_of": str(date(YEAR, 12, 1)), "accept_shortfall": True},
    )
    # the script's own expectation (docs/assessment.md §3): each org it drives recorded one such
    # project a quarter; a city needs 2 sites of its 县（市） (made up from the rest when they
    # have fewer) and 4 of its own and its districts', a direct county 3
    tree = parents or {}

    def is_short(unit: str) -> bool:
        subtree = [o for o in units if o == unit or parents_of(o, tree, unit)]
        if unit in direct:
            return quarters * len(subtree) < 3
        county = quarters * sum(1 for o in subtree if o != unit and int(o[-2:]) >= 21)
        rest = quarters * len(subtree) - county
        return rest < 4 + max(0, 2 - county)

    expected_short = sorted(c for c in assessed if is_short(c))
    short = sorted({s["org_code"] for s in sample["shortfalls"] or []})
    if parents is not None and short != expected_short:
        raise Failure(f"sampling short for {short}, the script expected {expected_short}")
    visits = 0
    for n, org in enumerate(assessed):
        uid = rows[org]["id"]
        sim.now = _at(12, 2 + n % 6, 15)
        sites = sim.call(
            "assessor_410000", "assess unit", "GET", f"/api/v1/assessment/units/{uid}"
        )["sites"]
        if [s["project_ref"] for s in sites] != sample["sites"].get(org, []):
            raise Failure(f"{org}: sites {sites} ≠ the sample {sample['sites'].get(org)}")
        for s in sites:
            sim.call(
                "assessor_410000",
                "assess visit",
                "POST",
                f"/api/v1/assessment/sites/{s['id']}/visit",
                {
                    "visit_date": str(sim.now.date()),
                    "findings": f"{s['project_name']}：资料齐全，实体质量受控（模拟）。",
                },
            )
            visits += 1

    # 考核评分 per unit, then 复核评分表 (one returned once)
    sim.now = _at(12, 9, 9)
    expected: dict[str, Decimal] = {}
    judged: dict[str, Any] = {}
    for org in assessed:
        judged[org] = judgments_for(sheet, org, "assessor")
        expected[org] = expected_total(sheet, judged[org], org in direct)
        uid = rows[org]["id"]
        got = sim.call(
            "assessor_410000",
            "assess score",
            "PUT",
            f"/api/v1/assessment/units/{uid}/scores",
            {"judgments": judged[org], "notes": {k: "现场检查发现（模拟）" for k in judged[org]}},
        )
        if Decimal(got["total"]) != expected[org]:
            raise Failure(f"{org}: scored {got['total']}, the script computed {expected[org]}")
    tasks = _todo(sim, "assessor_410000")
    for row in _units(sim, cid).values():
        _complete(sim, "assessor_410000", "assess score task", tasks[row["task_id"]], "done")
    sim.now = _at(12, 10, 9)
    tasks = _todo(sim, "reviewer_410000")
    for org, row in _units(sim, cid).items():
        task = tasks[row["task_id"]]
        if task["element_id"] != "review_score":
            raise Failure(f"{org}: waiting at {task['element_id']}, not 复核评分表")
        if org == RETURNED_SCORES:
            _complete(
                sim, "reviewer_410000", "assess review", task, "return", "请核对现场检查扣分。"
            )
        else:
            _complete(sim, "reviewer_410000", "assess review", task, "approve", "复核无误。")
    if RETURNED_SCORES in rows:
        sim.now = _at(12, 10, 14)
        row = _units(sim, cid)[RETURNED_SCORES]
        sim.call(
            "assessor_410000",
            "assess score",
            "PUT",
            f"/api/v1/assessment/units/{row['id']}/scores",
            {
                "judgments": judged[RETURNED_SCORES],
                "notes": {k: "已复核现场检查记录（模拟）" for k in judged[RETURNED_SCORES]},
            },
        )
        tasks = _todo(sim, "assessor_410000")
        _complete(sim, "assessor_410000", "assess score task", tasks[row["task_id"]], "done")
        sim.now = _at(12, 10, 16)
        row = _units(sim, cid)[RETURNED_SCORES]
        tasks = _todo(sim, "reviewer_410000")
        _complete(
            sim, "reviewer_410000", "assess review", tasks[row["task_id"]], "approve", "复核无误。"
        )

    # the ranking against the script's own; the laggards; the leader's approval
    ranking = sim.call(
        "assessor_410000", "assess ranking", "GET", f"/api/v1/assessment/campaigns/{cid}/ranking"
    )
    ranks = competition_ranks(expected)
    differences = [
        f"{r['org_code']}: {r['total']} rank {r['rank']} ≠ "
        f"{expected.get(r['org_code'])} rank {ranks.get(r['org_code'])}"
        for r in ranking
        if Decimal(r["total"]) != expected.get(r["org_code"])
        or r["rank"] != ranks.get(r["org_code"])
    ]
    if len(ranking) != len(expected) or differences:
        raise Failure(f"ranking ≠ the script's: {differences or len(ranking)}")
    sim.now = _at(12, 11, 10)
    lagging = laggards(expected)
    detail = sim.call(
        "assessor_410000", "assess campaign", "GET", f"/api/v1/assessment/campaigns/{cid}"
    )
    step = next((t for t in detail["tasks"] if t["element_id"] == "confirm_laggards"), None)
    if detail["state"] != "ranked" or step is None:
        raise Failure(f"after the ranking: {detail['state']}, steps {detail['tasks']}")
    tasks = _todo(sim, "assessor_410000")
    _complete(
        sim,
        "assessor_410000",
        "assess laggards",
        tasks[step["id"]],
        "confirm",
        data={"laggards": lagging},
    )
    sim.now = _at(12, 14, 10)
    best = min(expected, key=lambda c: (ranks[c], c))
    approved = sim.call(
        "leader_410000",
        "assess approve",
        "POST",
        f"/api/v1/assessment/campaigns/{cid}/approve",
        {"opinion": "同意考核结果。", "awards": [{"award": "优秀组织奖", "org_code": best}]},
    )
    if approved["state"] != "approved":
        raise Failure(f"results not approved: {approved['state']}")
    results = approved.get("results") or {}
    confirmed = sorted(row["org_code"] for row in results.get("laggards") or [])
    if confirmed != lagging:
        raise Failure(f"laggards {confirmed} ≠ the script's {lagging}")
    # a unit sees its own final score and rank once approved
    first = reporting[0] if reporting else assessed[0]
    own = sim.call(
        f"clerk_{first}", "assess unit", "GET", f"/api/v1/assessment/units/{rows[first]['id']}"
    )
    if Decimal(own["final"]["total"]) != expected[first] or own["unit"]["rank"] != ranks[first]:
        raise Failure(f"{first} sees {own['final']['total']} rank {own['unit']['rank']}")
    return {
        "units": len(assessed),
        "self_reported": len(reporting),
        "closed_by_hand": closed_by_hand,
        "sites_visited": visits,
        "sampled_short": f"{len(short)} {' '.join(short[:4])}{' …' if len(short) > 4 else ''}",
        "direct_counties_scaled": len(direct),
        "best": f"{best} {expected[best]}",
        "laggards": lagging,
        "ranking_matches": True,
    }
