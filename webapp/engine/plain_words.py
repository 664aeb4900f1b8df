"""What the libraries say about a refused BPMN document, in plain Chinese.

lxml, RestrictedPython and SpiffWorkflow explain a problem in English ("Opening and ending tag
mismatch", "SyntaxError: invalid syntax at statement", "Non-default exclusive outgoing sequence
flow without condition").  An administrator reads the refusal in Chinese: the common cases are
worded here, with their line and column; anything else gets a general Chinese sentence, never
the library's English (it is logged for the engineer instead).
"""

from __future__ import annotations

import logging
import re
from typing import Any

log = logging.getLogger(__name__)

# XML (lxml / libxml2) ---------------------------------------------------------------------------

#: libxml2 error name (``lxml.etree.ErrorTypes``) → (pattern over its English text, wording).
_XML: dict[str, tuple[str, str]] = {
    "ERR_TAG_NAME_MISMATCH": (
        r"mismatch: (?P<open>\S+) line (?P<line>\d+) and (?P<close>\S+)",
        "结束标签 </{close}> 与第 {line} 行的开始标签 <{open}> 不对应（<{open}> 没有闭合，"
        "或结束标签写错）",
    ),
    "ERR_TAG_NOT_FINISHED": (
        r"in tag (?P<open>\S+) line (?P<line>\d+)",
        "文件在第 {line} 行的标签 <{open}> 闭合之前就结束了（标签没有闭合，或文件不完整）",
    ),
    "ERR_INVALID_CHAR": (
        r"Char value (?P<value>\d+)",
        "含有 XML 不允许的字符（代码 {value}，如控制字符）",
    ),
    "ERR_INVALID_ENCODING": ("", "含有无法按 UTF-8 读取的字节（请以 UTF-8 编码保存文件）"),
    "ERR_UNSUPPORTED_ENCODING": ("", "XML 声明中的编码不受支持（请使用 UTF-8）"),
    "ERR_DOCUMENT_EMPTY": ("", "文件为空或没有任何元素"),
    "ERR_DOCUMENT_END": ("", "根元素结束后还有多余的内容（文件只能有一个根元素）"),
    "ERR_ATTRIBUTE_REDEFINED": (r"Attribute (?P<name>\S+)", "属性 {name} 在同一标签中重复出现"),
    "ERR_ATTRIBUTE_NOT_STARTED": ("", "属性值必须用引号括起来"),
    "ERR_ATTRIBUTE_WITHOUT_VALUE": ("", '属性缺少值（应写成 名称="值"）'),
    "ERR_LT_IN_ATTRIBUTE": ("", "属性值中不能直接出现 <（应写成 &lt;）"),
    "ERR_UNDECLARED_ENTITY": (
        r"Entity '(?P<name>[^']*)'",
        "使用了未定义的实体 &{name};（文字中的 & 应写成 &amp;）",
    ),
    "ERR_ENTITYREF_SEMICOL_MISSING": ("", "实体引用缺少分号（文字中的 & 应写成 &amp;）"),
    "ERR_NAME_REQUIRED": ("", "标签名称不正确（< 后应是元素名称；文字中的 < 应写成 &lt;）"),
    "ERR_GT_REQUIRED": ("", "开始标签没有以 > 结束"),
    "ERR_LTSLASH_REQUIRED": ("", "缺少结束标签"),
    "ERR_SPACE_REQUIRED": ("", "属性之间缺少空格"),
    "ERR_COMMENT_NOT_FINISHED": ("", "注释没有结束（缺少 -->）"),
    "ERR_STRING_NOT_CLOSED": ("", "引号没有闭合"),
    "ERR_STRING_NOT_STARTED": ("", "属性值必须用引号括起来"),
    "ERR_RESERVED_XML_NAME": ("", "XML 声明只能出现在文件的最开头（前面不能有空格或其他内容）"),
    "ERR_CDATA_NOT_FINISHED": ("", "CDATA 段没有结束（缺少 ]]>）"),
    "NS_ERR_UNDEFINED_NAMESPACE": (
        r"prefix (?P<prefix>\S+) on",
        "使用了未声明的命名空间前缀 {prefix}:（根元素上缺少 xmlns:{prefix} 声明）",
    ),
}


def xml_syntax(exc: Any) -> str:
    """``XML 格式错误：第 3 行第 7 列，…`` for an ``lxml.etree.XMLSyntaxError``."""
    from lxml import etree

    line, column = getattr(exc, "position", None) or (getattr(exc, "lineno", None), None)
    text = str(getattr(exc, "msg", "") or "")
    what = "不是格式良好的 XML（标签、引号或特殊字符有误）"
    if "EntityRef" in text:  # ``A & B``: libxml2 reports a missing entity name
        what = "& 后缺少实体名称（文字中的 & 应写成 &amp;）"
    for name, (pattern, wording) in ({} if "EntityRef" in text else _XML).items():
        if getattr(etree.ErrorTypes, name, None) == getattr(exc, "code", None):
            found = re.search(pattern, text) if pattern else None
            if pattern and found is None:
                break
            what = wording.format(**(found.groupdict() if found else {}))
            break
    else:
        log.info("XML error without a Chinese wording: %s", text)
    where = f"第 {line} 行" if line else ""
    where += f"第 {column} 列" if line and column else ""
    return f"XML 格式错误：{where}，{what}" if where else f"XML 格式错误：{what}"


# Python source (RestrictedPython, ast) ---------------------------------------------------------

#: Python's syntax-error message → wording.
_SYNTAX: list[tuple[str, str]] = [
    (r"'(?P<c>[(\[{])' was never closed", "括号 {c} 没有闭合"),
    (r"unmatched '(?P<c>[)\]}])'", "多了一个 {c}"),
    (r"closing parenthesis '(?P<c>.)' does not match", "括号 {c} 与前面的括号不对应"),
    (r"unterminated (triple-quoted )?string literal", "字符串缺少结束的引号"),
    (r"EOL while scanning|EOF while scanning", "字符串缺少结束的引号"),
    (r"unexpected EOF|incomplete input", "内容不完整（像是少写了一部分）"),
    (r"expected ':'", "缺少冒号 :"),
    (r"unexpected indent", "缩进不正确（这一行不应缩进）"),
    (r"unindent does not match|inconsistent use of tabs", "缩进不一致"),
    (r"expected an indented block", "缺少缩进的代码块"),
    (r"invalid character '(?P<c>.)'", "含有不允许的字符 {c}（请使用英文半角符号）"),
    (r"invalid non-printable character", "含有不可见的字符"),
    (r"invalid decimal literal|invalid digit|leading zeros", "数字写法不正确"),
    (r"cannot assign to|cannot delete", "不能对这个表达式赋值（比较相等请用 ==）"),
    (r"Maybe you meant '==' or ':='", "这里不能用 =（比较相等请用 ==）"),
    (r"Perhaps you forgot a comma", "缺少逗号"),
    (r"invalid syntax", "语法不正确"),
]

#: RestrictedPython's and our policy's refusals (English) → wording.
_POLICY: list[tuple[str, str]] = [
    (
        r'"(?P<n>[^"]*)" is an invalid variable name because it starts with "_"',
        "名称 {n} 以下划线开头，不允许使用",
    ),
    (
        r'"(?P<n>[^"]*)" is an invalid attribute name because it (starts with "_"|ends with)',
        "属性 .{n} 不允许使用（以下划线开头或为内部属性）",
    ),
    (r'"(?P<n>[^"]*)" is a reserved name', "名称 {n} 是保留名称，不允许使用"),
    (r'"(?P<n>[^"]*)" is not allowed', "不允许使用 {n}"),
    (r"Exponentiation", "不允许乘方运算 **（需要时请用乘法）"),
    (r"Exec calls|Eval calls", "不允许使用 exec 或 eval"),
    (r"imports are not allowed|import statements", "不允许 import（脚本不能导入模块）"),
    (r"Unpacking in comprehensions", "推导式中不允许解包"),
    (r'keyword argument "metaclass"', "不允许定义类"),
    (r"Async\w* statements|Await", "不允许异步语法（async/await）"),
    (r"Yield\w* statements", "不允许 yield"),
    (r"Global|Nonlocal", "不允许 global 或 nonlocal"),
    (r"statements are not allowed", "不允许这种语句"),
]


def _word(text: str, table: list[tuple[str, str]]) -> str | None:
    for pattern, wording in table:
        found = re.search(pattern, text)
        if found:
            return wording.format(**{k: v or "" for k, v in found.groupdict().items()})
    return None


def syntax_error(message: str) -> str:
    """A Python syntax error's message in Chinese."""
    return _word(message, _SYNTAX) or "语法不正确"


def source_refusals(errors: list[str] | tuple[str, ...]) -> str:
    """RestrictedPython's error list (``Line 1: SyntaxError: … at statement: '…'``, ``Line 2:
    "_x" is an invalid variable name…``) as one Chinese sentence; our own Chinese refusals
    pass through."""
    out: list[str] = []
    for error in errors:
        found = re.match(r"Line (?P<line>\d+): (?P<rest>.*)$", error, re.S)
        line, rest = (found["line"], found["rest"]) if found else (None, error)
        syntax = re.match(r"SyntaxError: (?P<msg>.*?)(?: at statement: (?P<stmt>.*))?$", rest, re.S)
        if syntax:
            text = f"语法错误：{syntax_error(syntax['msg'])}"
        elif re.search(r"[\u4e00-\u9fff]", rest):
            text = rest
        else:
            text = _word(rest, _POLICY) or "有不允许的写法"
            if text == "有不允许的写法":
                log.info("sandbox refusal without a Chinese wording: %s", rest)
        text = f"第 {line} 行，{text}" if line else text
        if text not in out:
            out.append(text)
    return "；".join(out)


# SpiffWorkflow's parser -------------------------------------------------------------------------

#: SpiffWorkflow ValidationException text → wording.
_SPIFF: list[tuple[str, str]] = [
    (r"Non-default exclusive outgoing sequence flow without condition", "网关的非默认流向缺少条件"),
    (r"No start event found|start event", "流程没有开始事件（或开始事件的个数不对）"),
    (r"SubWorkflow Must contain an End event", "子流程缺少结束事件"),
    (r"Service Task must have an operator", "服务任务没有设置服务操作"),
    (r"No Script Provided", "脚本任务没有脚本"),
    (r"Time Specification|Unknown Time Specification", "定时器缺少日期、时长或周期表达式"),
    (r"Conditional event definition with missing condition", "条件事件缺少条件"),
    (r"Message identifier is missing|messageRef", "消息事件没有指定消息（messageRef）"),
    (r"Signal identifier", "信号事件没有指定信号"),
    (r"Error identifier", "错误事件没有指定错误"),
    (r"Escalation identifier", "升级事件没有指定升级"),
    (r"Correlation", "消息关联（correlation）设置不完整"),
    (r"Data Store", "数据存储缺少标识或名称"),
    (r"calledElement|process with id|Unable to find", "调用活动引用的流程在文件中不存在"),
    (r"is not executable", "调用活动引用的流程不是可执行流程"),
    (r"ad hoc", "不支持这种临时子流程（ad hoc）"),
    (r"no support implemented for this task type", "不支持这种任务类型"),
    (r"Malformed Output Expression", "输出表达式格式不正确"),
    (r"DMN|decision", "不支持业务规则任务（DMN）"),
]


def spiff_validation(exc: BaseException) -> str:
    """``BPMN 解析错误：…`` for SpiffWorkflow's ValidationException (or another parser error),
    naming the element (name and id) where the exception carries it."""
    element_id = getattr(exc, "id", "") or ""
    name = getattr(exc, "name", "") or ""
    what = _word(str(exc), _SPIFF)
    if what is None:
        log.info("SpiffWorkflow parse error without a Chinese wording: %s", exc)
        what = "模型中有 SpiffWorkflow 无法解析的结构（请检查最近修改的元素及其连线）"
    where = f"元素“{name}”（{element_id}）" if name and element_id else ""
    where = where or (f"元素 {element_id}" if element_id else "")
    return f"BPMN 解析错误：{where}{'：' if where else ''}{what}"
