"""The customer starts a return from the link in their message, in a real browser, and
downloads the label; the label is turned into a picture (pdftoppm) and its barcodes are
read back (zxing-cpp), as a carrier's scanner would."""

import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone

from portal.tests import test_confirmation_browser as confirmation
from returns.models import Return

SHOTS = confirmation.SHOTS
chromium = confirmation.chromium  # the same headless Chromium fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_customer_starts_a_return_from_the_message_and_downloads_the_label(
    live_server,
    settings,
    make_order,
    submit,
    branding,
    chromium,
    tmp_path,
):
    # Given a shipped order, and the message the customer got when the storefront asked
    # to cancel one of its items (the request became a return)
    settings.SITE_URL = live_server.url
    make_order(
        lines=(("l1", "TEE-BLK-M", 2, "24.00"), ("l2", "CAP-NVY", 1, "22.00")),
        shipping="5.00",
        fulfillment_status="shipped",
        shipped_at=(timezone.now() - timedelta(days=3)).isoformat(),
    )
    assert submit(lines=[{"line": "l1", "quantity": 1}]).json()["status"] == "return_required"
    message = next(m for m in mail.outbox if "here is how to return it" in m.subject)
    follow = re.search(r"from this order: (http://\S+)", message.body)[1]

    # When they open their return, choose to return the cap too from the start page
    page = chromium.new_page(viewport={"width": 900, "height": 1100}, accept_downloads=True)
    page.goto(follow)
    page.get_by_role("link", name="Return something else from this order").click()
    page.get_by_test_id("qty-l2").fill("1")
    page.get_by_label("Why are you returning them?").select_option("not_as_described")
    page.get_by_label("Store credit").check()
    page.screenshot(path=f"{SHOTS}/portal-return-start.png", full_page=True)
    page.get_by_role("button", name="Start my return").click()

    # Then their new return is approved, with its label and tracking number
    status = page.get_by_test_id("return-status")
    status.wait_for()
    assert "Your return is approved" in status.inner_text()
    created = Return.objects.order_by("-id").first()
    assert (created.reason, created.resolution) == ("not_as_described", "store_credit")
    assert page.get_by_test_id("tracking").inner_text() == created.tracking_number
    page.screenshot(path=f"{SHOTS}/portal-return.png", full_page=True)

    # When they download the label
    with page.expect_download() as download_info:
        page.get_by_test_id("label-link").click()
    pdf = tmp_path / "label.pdf"
    download_info.value.save_as(pdf)

    # Then it is a PDF whose picture carries the tracking number as a barcode and a QR code
    assert pdf.read_bytes().startswith(b"%PDF")
    png = _as_picture(pdf, Path(SHOTS) / "portal-return-label")
    codes = _read_codes(png)
    assert codes.count(created.tracking_number) == 2, codes


def _as_picture(pdf: Path, stem: Path) -> Path:
    if not shutil.which("pdftoppm"):
        pytest.skip("needs pdftoppm (apt-get install poppler-utils)")
    subprocess.run(
        ["pdftoppm", "-png", "-r", "200", "-singlefile", str(pdf), str(stem)], check=True
    )
    return stem.with_suffix(".png")


def _read_codes(png: Path) -> list[str]:
    import zxingcpp
    from PIL import Image

    return sorted(result.text for result in zxingcpp.read_barcodes(Image.open(png)))
