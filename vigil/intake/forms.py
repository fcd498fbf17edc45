from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)]


class ImportForm(forms.Form):
    files = MultipleFileField(
        label=gettext_lazy("Referral files"),
        help_text=gettext_lazy(
            "JSON (.json, .jsonl) in Vigil's referral format, CyberTipline XML (.xml), or a "
            "CyberTipline package as a .zip. Reported images and videos are never accepted."
        ),
    )
    source_reference = forms.CharField(
        required=False,
        max_length=120,
        label=gettext_lazy("CyberTipline report number (optional)"),
        help_text=gettext_lazy(
            "Only for a single CyberTipline package whose files do not give it."
        ),
    )
    in_background = forms.BooleanField(
        required=False,
        label=gettext_lazy("Import in the background"),
        help_text=gettext_lazy(
            "For a large batch: the files are kept and imported by a worker, and a page "
            "shows what became of each when it is done."
        ),
    )

    def clean_files(self):
        files = self.cleaned_data["files"]
        limit = settings.VIGIL_MAX_PACKAGE_BYTES
        for upload in files:
            if upload.size > limit:
                raise forms.ValidationError(
                    _("%(name)s is %(size).1f MB, over the %(limit).0f MB limit")
                    % {
                        "name": upload.name,
                        "size": upload.size / 1_048_576,
                        "limit": limit / 1_048_576,
                    }
                )
        return files
