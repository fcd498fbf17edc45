from vigil.referrals.recordings import page_urls

from . import services

app_name = "referrals"

urlpatterns = page_urls(services.RECORDINGS)
