"""Permission-checked reads of swap data. Missing and forbidden give the same 404."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import Http404

from deepreview.projects.roles import Role
from deepreview.projects.selectors import access_row
from deepreview.review.selectors import ground_truth_hidden
from deepreview.swaps.models import ConsentRecord, Conversion, SwapModel

User = AbstractBaseUser | AnonymousUser


def access_swap_model(user: User, model_id: int | str, *, min_role: str = Role.VIEWER) -> SwapModel:
    """The swap model if the user may see its project; the same 404 otherwise."""
    return access_row(user, SwapModel.objects, model_id, min_role=min_role, what="swap model")


def access_consent_record(
    user: User, consent_id: int | str, *, min_role: str = Role.VIEWER
) -> ConsentRecord:
    """The consent record if the user may see its faceset's project; the same 404
    otherwise."""
    records = ConsentRecord.objects.select_related("faceset")
    return access_row(
        user, records, consent_id, min_role=min_role, owner="faceset", what="consent record"
    )


def access_conversion(
    user: User, conversion_id: int | str, *, min_role: str = Role.VIEWER
) -> Conversion:
    """The conversion if the user may see its project and blind review does not hide
    its ground truth (the fake's origin and masks) from them; the same 404 otherwise."""
    conversion = access_row(
        user, Conversion.objects, conversion_id, min_role=min_role, what="conversion"
    )
    hidden = ground_truth_hidden(
        project=conversion.project, user=user, media_id=conversion.output_media_id
    )
    if hidden:
        raise Http404("No such conversion.")
    return conversion
