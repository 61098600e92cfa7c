"""Download of a version's delivered file from the web interface. The access rule is governance's
(``governance.selectors.version_download_allowed``): the dataset's owner, steward and custodian, or a
member of a project holding a live grant covering every personal-data column of the file."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from catalog.models import DatasetVersion
from governance import selectors


@login_required
@require_safe
def version_download(request: HttpRequest, slug: str, number: int) -> FileResponse:
    version = get_object_or_404(DatasetVersion.objects.select_related("dataset"), dataset__slug=slug, number=number)
    if not selectors.version_download_allowed(user=request.user, version=version):
        raise PermissionDenied("A live grant covering every personal-data column of this file is needed.")
    if not version.file:
        raise Http404("This version has no stored file.")
    return FileResponse(version.file.open("rb"), as_attachment=True, filename=version.file.name.rsplit("/", 1)[-1])
