from django.urls import include, path

from vigil.api import api
from vigil.core import views as core_views
from vigil.people import views as people_views
from vigil.site import views as site_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("search/", people_views.search, name="search"),
    path("accounts/", include("vigil.accounts.urls")),
    path("referrals/", include("vigil.site.urls")),
    path("referrals/", include("vigil.intake.urls")),
    path("referrals/", include("vigil.referrals.urls")),
    path("referrals/", include("vigil.exhibits.urls")),
    path("people/<int:person_id>/", site_views.person_detail, name="person-detail"),
    path("people/", include("vigil.people.urls")),
    path("risk/", include("vigil.risk.urls")),
    path("safeguarding/", include("vigil.safeguarding.urls")),
    path("investigation/", include("vigil.investigations.urls")),
    path("worklist/", include("vigil.clocks.urls")),
    path("audit/", include("vigil.audit.urls")),
    path("insight/", include("vigil.insight.urls")),
    path("api/v1/", api.urls),
]

handler403 = "vigil.core.views.forbidden"
handler404 = "vigil.core.views.not_found"
handler500 = "vigil.core.views.server_error"
