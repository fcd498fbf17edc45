from vigil.referrals.recordings import page_urls

from . import services

app_name = "safeguarding"

urlpatterns = page_urls(services.RECORDINGS)
