from flask_smorest import Blueprint

bp = Blueprint("api_assessment", __name__, url_prefix="/api/v1/assessment", description="考核")
