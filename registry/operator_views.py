"""The operator's form on the EPD page: suspend, revoke or reinstate a published version with a reason;
suspending and revoking go through a confirmation page first."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from declarations.errors import DomainError

from . import lifecycle
from .models import RegistryEntry

MOVES = {"suspended": lifecycle.suspend, "revoked": lifecycle.revoke, "valid": lifecycle.reinstate}
CONFIRMED = {"suspended", "revoked"}


@login_required
@require_POST
def change_status(request, registration_number: str):
    if not request.user.is_operator:
        raise PermissionDenied(_("Only the programme operator's staff can change the status of a published EPD."))
    entry = get_object_or_404(
        RegistryEntry.objects.select_related("publication__declaration"),
        registration_number=registration_number,
        version=request.POST.get("version") if str(request.POST.get("version", "")).isdigit() else -1,
    )
    to = request.POST.get("status", "")
    move = MOVES.get(to)
    if to in CONFIRMED and request.POST.get("confirm") != "yes":
        # Suspending or revoking tells every buyer and the verify page not to rely on this EPD: say so, ask again.
        return render(request, "registry/confirm_status.html", {"entry": entry, "to": to, "reason": request.POST.get("reason", "")})
    if move is None:
        messages.error(request, _("Choose suspend, revoke or reinstate."))
    else:
        try:
            move(entry, actor=request.user, reason=request.POST.get("reason", ""))
            messages.success(
                request,
                _("%(number)s version %(version)s is now %(status)s.")
                % {"number": entry.registration_number, "version": entry.version, "status": entry.get_status_display()},
            )
        except DomainError as error:
            messages.error(request, error.message)
    return redirect(f"{reverse('epd-page', args=[registration_number])}?version={entry.version}")
