from __future__ import annotations

from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from webapp.core.messages import Form
from webapp.core.passwords import HINT, PASSWORD_MAX, PASSWORD_MIN


def new_password_field() -> PasswordField:
    """The new password of a change or an administrator's reset: the length rule, the hint."""
    return PasswordField(
        "新密码",
        description=HINT,
        validators=[
            DataRequired("请输入新密码。"),
            Length(
                PASSWORD_MIN, PASSWORD_MAX, f"密码长度须为 {PASSWORD_MIN}–{PASSWORD_MAX} 个字符。"
            ),
        ],
    )


class LoginForm(Form):
    username = StringField("用户名", validators=[DataRequired("请输入用户名。"), Length(max=64)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码。"), Length(max=256)])
    remember = BooleanField("记住我（12小时）")


class ChangePasswordForm(Form):
    old_password = PasswordField("原密码", validators=[DataRequired("请输入原密码。")])
    new_password = new_password_field()
    confirm = PasswordField(
        "确认新密码", validators=[EqualTo("new_password", "两次输入的新密码不一致。")]
    )
