from django import forms
from django.conf import settings


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
        label="Referral files",
        help_text=(
            "JSON (.json, .jsonl) in Vigil's referral format, CyberTipline XML (.xml), or a "
            "CyberTipline package as a .zip. Reported images and videos are never accepted."
        ),
    )
    source_reference = forms.CharField(
        required=False,
        max_length=120,
        label="CyberTipline report number (optional)",
        help_text="Only for a single CyberTipline package whose files do not give it.",
    )
    in_background = forms.BooleanField(
        required=False,
        label="Import in the background",
        help_text="For a large batch: the files are kept and imported by a worker, and a page "
        "shows what became of each when it is done.",
    )

    def clean_files(self):
        files = self.cleaned_data["files"]
        limit = settings.VIGIL_MAX_PACKAGE_BYTES
        for upload in files:
            if upload.size > limit:
                raise forms.ValidationError(
                    f"{upload.name} is {upload.size / 1_048_576:.1f} MB, over the "
                    f"{limit / 1_048_576:.0f} MB limit"
                )
        return files
