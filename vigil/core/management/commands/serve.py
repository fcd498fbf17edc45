from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Vigil over HTTP with waitress (put a TLS proxy in front of it in production)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)

    def handle(self, *args, **options):
        from waitress import serve

        from vigil.wsgi import application

        url = f"http://{options['host']}:{options['port']}/"
        mode = "production" if settings.PRODUCTION else settings.ENVIRONMENT
        self.stdout.write(f"Vigil ({mode}) is serving on {url} – press Ctrl+C to stop.")
        serve(
            application,
            host=options["host"],
            port=options["port"],
            threads=options["threads"],
            ident="vigil",
            clear_untrusted_proxy_headers=True,
        )
