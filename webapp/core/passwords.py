"""Password rules: refuse the passwords a guesser tries first.

Every place that sets a password (an administrator creating a user or resetting a password,
a user changing their own, the demo seed) goes through :func:`weakness` via
``operations.validate_password``.  Refused, each with its own Chinese message:

- shorter than ``PASSWORD_MIN`` (8) or longer than ``PASSWORD_MAX`` (64) characters;
- one character or a group of up to three repeated (``aaaaaaaa``, ``abababab``, ``abcabcabc``);
- digits only (``12345678``, a birthday ``19850618``);
- equal to or containing the username (any case);
- in the common-password lists (any case): ``webapp/data/passwords/common-passwords.txt``
  (8,346 entries from Django's list, BSD-3-Clause) and ``chinese-common.txt`` (written for
  this product: 5201314, woaini1314, qq123456, a1234567 …); sources and licences in the
  README beside them;
- a pinyin name followed only by digits (``zhangwei123``, ``wangfang888``, ``lihua1990``,
  ``xiaoming2008``): one of :data:`SURNAMES` and/or one or two of :data:`GIVEN`, then digits.
  A rule rather than a list, because the name × digits combinations run to hundreds of
  thousands; the syllables are the most frequent surnames and given-name syllables of the
  published name statistics (公安部户政管理研究中心 yearly reports), written here by hand.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

PASSWORD_MIN = 8
PASSWORD_MAX = 64

LISTS = Path(__file__).resolve().parent.parent / "data" / "passwords"
LIST_FILES = ("common-passwords.txt", "chinese-common.txt")

#: The most frequent Chinese surnames, in pinyin (ü written v, as typed).
SURNAMES = (
    "wang li zhang liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he gao lin luo zheng "
    "liang xie song tang han feng deng cao peng zeng xiao tian dong yuan pan cai jiang yu du ye "
    "cheng wei su lv lu ding ren shen yao jin fu fan qian"
).split()
#: Frequent syllables of given names (伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀英 …).
GIVEN = (
    "wei fang na min jing li qiang lei jun yang yong yan jie juan tao ming chao xiu ying xia "
    "ping gang hua hui dan ling hong bo xin yu hao yi lin fei bin kai peng jian guo hai feng "
    "qing zhi wen jia long xiao mei lan yun hong bing chun tian xue shan pei zi han rui xuan "
    "hang ting yue lu cheng"
).split()

_SYLLABLE_SURNAME = "|".join(sorted(set(SURNAMES), key=len, reverse=True))
_SYLLABLE_GIVEN = "|".join(sorted(set(GIVEN), key=len, reverse=True))
PINYIN_NAME_WITH_DIGITS = re.compile(
    rf"(?:(?:{_SYLLABLE_SURNAME})(?:{_SYLLABLE_GIVEN}){{0,2}}|(?:{_SYLLABLE_GIVEN}){{1,2}})\d*"
)
REPEATED = re.compile(r"(.{1,3})\1+", re.DOTALL)

ADVICE = "请使用至少 8 位、包含字母和数字的不易猜测的密码。"
COMMON = (
    "密码过于简单或常见（如 123456、5201314、姓名拼音加数字），"
    "请使用至少 8 位、包含字母和数字的不易猜测的密码。"
)
#: Shown beside the password fields.
HINT = (
    f"{PASSWORD_MIN}–{PASSWORD_MAX} 个字符；不能是常见密码（如 123456、5201314）、全数字、"
    "同一字符重复、姓名拼音加数字，也不能包含用户名。"
)


@cache
def common_passwords() -> frozenset[str]:
    """The vendored lists, lower-cased (read once per process)."""
    entries: set[str] = set()
    for name in LIST_FILES:
        for line in (LISTS / name).read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("# "):
                entries.add(line.lower())
    return frozenset(entries)


def weakness(password: str, username: str | None = None) -> str | None:
    """Why ``password`` is refused (a Chinese message), or None when it may be used."""
    if not (PASSWORD_MIN <= len(password) <= PASSWORD_MAX):
        return f"密码长度须为 {PASSWORD_MIN}–{PASSWORD_MAX} 个字符。"
    lowered = password.lower()
    if REPEATED.fullmatch(password):
        return f"密码不能由同一个字符或同一组字符重复组成（如 aaaaaaaa、abababab），{ADVICE}"
    if password.isdigit():
        return f"密码不能全是数字（如 12345678、生日），{ADVICE}"
    name = (username or "").strip().lower()
    if len(name) >= 3 and name in lowered:
        return f"密码不能与用户名相同或包含用户名，{ADVICE}"
    if lowered in common_passwords() or PINYIN_NAME_WITH_DIGITS.fullmatch(lowered):
        return COMMON
    return None
