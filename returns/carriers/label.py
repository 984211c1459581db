"""A printable return label (4 x 6 inches) drawn with reportlab: the retailer, the return,
both addresses, the tracking number as a Code 128 barcode and as a QR code."""

import io

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode import code128, qr
from reportlab.graphics.shapes import Drawing
from reportlab.lib.units import inch
from reportlab.pdfgen import canvas

WIDTH, HEIGHT = 4 * inch, 6 * inch
MARGIN = 0.2 * inch


def label_pdf(request, *, carrier_name: str, tracking_number: str) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(WIDTH, HEIGHT), pageCompression=1)
    pdf.setTitle(f"Return {request.return_id} - {tracking_number}")
    pdf.setAuthor(request.retailer_name)
    pdf.setSubject(f"Prepaid return label for order {request.order}")

    top = HEIGHT - MARGIN
    # Header band: carrier and service.
    pdf.setFillColorRGB(0.1, 0.1, 0.1)
    pdf.rect(0, top - 0.45 * inch, WIDTH, 0.45 * inch + MARGIN, stroke=0, fill=1)
    pdf.setFillColorRGB(1, 1, 1)
    pdf.setFont("Helvetica-Bold", 15)
    pdf.drawString(MARGIN, top - 0.3 * inch, carrier_name.upper())
    pdf.setFont("Helvetica", 9)
    pdf.drawRightString(WIDTH - MARGIN, top - 0.3 * inch, "PREPAID RETURN")
    pdf.setFillColorRGB(0, 0, 0)

    y = top - 0.7 * inch
    y = _block(pdf, "FROM", request.from_lines, y)
    y = _block(pdf, "TO", request.to_lines, y - 0.08 * inch, large=True)

    # Tracking number: Code 128 across the label, the number under it.
    y -= 0.15 * inch
    pdf.line(MARGIN, y, WIDTH - MARGIN, y)
    barcode = code128.Code128(tracking_number, barHeight=0.75 * inch, barWidth=1.15)
    bar_x = (WIDTH - barcode.width) / 2
    y -= 0.12 * inch + barcode.height
    barcode.drawOn(pdf, bar_x, y)
    y -= 0.2 * inch
    pdf.setFont("Courier-Bold", 12)
    pdf.drawCentredString(WIDTH / 2, y, tracking_number)

    # Bottom: the return and its QR code.
    qr_size = 1.25 * inch
    widget = qr.QrCodeWidget(tracking_number)
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(
        qr_size, qr_size, transform=[qr_size / (x1 - x0), 0, 0, qr_size / (y1 - y0), 0, 0]
    )
    drawing.add(widget)
    renderPDF.draw(drawing, pdf, WIDTH - MARGIN - qr_size, MARGIN)

    pdf.setFont("Helvetica-Bold", 11)
    pdf.drawString(MARGIN, MARGIN + 1.05 * inch, f"RETURN #{request.return_id}")
    pdf.setFont("Helvetica", 8.5)
    info = [
        request.retailer_name,
        f"Order {request.order}",
        f"Ship by {request.ship_by:%d %b %Y}",
        *request.items[:3],
    ]
    if len(request.items) > 3:
        info.append(f"... and {len(request.items) - 3} more")
    line_y = MARGIN + 0.88 * inch
    for text in info:
        pdf.drawString(MARGIN, line_y, text[:38])
        line_y -= 0.14 * inch
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _block(pdf, title, lines, y, *, large=False) -> float:
    pdf.setFont("Helvetica-Bold", 7)
    pdf.drawString(MARGIN, y, title)
    y -= 0.17 * inch if large else 0.15 * inch
    size = 12 if large else 9
    pdf.setFont("Helvetica-Bold" if large else "Helvetica", size)
    for text in lines:
        pdf.drawString(MARGIN + 0.1 * inch, y, text[:40])
        y -= size * 1.25
    return y
