"""The narrative 《工程质量运行态势分析报告》: its sections.

第十条 7 lists eleven; 第十一条 adds one for the annual report."""

from __future__ import annotations

QUARTERLY_SECTIONS: tuple[tuple[str, str], ...] = (
    ("s01", "企业总体情况"),
    ("s02", "本季度工程质量监督管理总体情况"),
    ("s03", "对工程参建各方质量行为的监督情况及存在的主要问题"),
    ("s04", "对实体工程质量监督采取的具体措施"),
    ("s05", "当地治理工程质量通病的阶段性目标及取得的效果（含主要质量通病种类及治理情况）"),
    ("s06", "企业不良行为记录及行政处罚的情况"),
    ("s07", "工程质量监督管理工作中存在的突出问题"),
    ("s08", "工程质量新技术、新工艺推广应用情况"),
    ("s09", "工程质量事故及投诉情况"),
    ("s10", "工程质量监督执法情况"),
    ("s11", "进一步做好工程质量监督管理工作的对策建议"),
)
#: 第十一条: the annual report also reflects mechanisms, policies and activities.
ANNUAL_EXTRA = (("s12", "质量状况分析工作机制建立、政策制定及活动开展情况"),)
SECTION_MAX_CHARS = 20000
#: The first line of a generated first draft (webapp.reports.narrative): the clerk rewrites the
#: text and deletes this line; a section that still holds it is not ready to submit.
DRAFT_MARK = "【系统初稿：根据本单位报表数据自动生成，请核对、改写后删除本行】"
_NUMERALS = "一二三四五六七八九十"


def sections(kind: str) -> tuple[tuple[str, str], ...]:
    if kind == "annual":
        # The annual heading speaks of the year, not the quarter.
        base = tuple((k, title.replace("本季度", "本年度")) for k, title in QUARTERLY_SECTIONS)
        return base + ANNUAL_EXTRA
    return QUARTERLY_SECTIONS


def numeral(i: int) -> str:
    """1 → 一, 11 → 十一, 12 → 十二."""
    return _NUMERALS[i - 1] if i <= 10 else "十" + _NUMERALS[i - 11]
