from __future__ import annotations

from wtforms import PasswordField, SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from webapp.auth.forms import new_password_field
from webapp.core.messages import Form
from webapp.core.models import ROLE_LABELS
from webapp.core.passwords import HINT, PASSWORD_MAX

ROLE_CHOICES = [SelectChoice(r.value, label) for r, label in ROLE_LABELS.items()]


class MultiCheckbox(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserForm(Form):
    username = StringField("用户名", validators=[DataRequired("请输入用户名。"), Length(3, 64)])
    full_name = StringField("姓名", validators=[DataRequired("请输入姓名。"), Length(max=64)])
    email = StringField(
        "电子邮箱",
        description="配置邮件服务器后，通知同时发送到此邮箱；可不填。",
        validators=[Length(max=254)],
    )
    org_code = SelectField("所属单位", validators=[DataRequired("请选择单位。")])
    roles = MultiCheckbox("角色", choices=ROLE_CHOICES)
    password = PasswordField("初始密码", description=HINT, validators=[Length(max=PASSWORD_MAX)])


class ResetPasswordForm(Form):
    new_password = new_password_field()


class ConfirmForm(Form):
    """An empty form: carries only the CSRF token for POST buttons."""
