"""Waybill labels (电子面单): which parcels are printed (已打印), and the batch PDF for label printers."""

from __future__ import annotations

from io import BytesIO

from django.db import transaction
from django.utils import timezone

from portal.audit import audit_entry
from portal.models import AuditEntry

from ..models import Shipment

# Label sizes of Chinese thermal printers (width × height in millimetres).
LABEL_SIZES = {"100x150": (100, 150), "76x130": (76, 130)}


@transaction.atomic
def labels_mark_printed(*, shipments: list[Shipment], by, reprint: bool = False) -> int:
    """Mark these parcels' labels printed (已打印); one audit row each ("print" or "reprint"). Returns how many.

    Set-based: one UPDATE and one bulk insert of audit rows whatever the number of labels.
    """
    if not shipments:
        return 0
    now = timezone.now()
    Shipment.objects.filter(pk__in=[s.pk for s in shipments]).update(label_printed_at=now)
    verb = "reprint_label" if reprint else "print_label"
    AuditEntry.objects.bulk_create([audit_entry(s, verb, by=by, data={"waybill_no": s.waybill_no}) for s in shipments])
    for s in shipments:
        s.label_printed_at = now
    return len(shipments)


def labels_pdf(*, labels: list[dict], size: str = "100x150") -> bytes:
    """A PDF of waybill labels, one page per label, at the printer's size (reportlab, Code 128 barcode).

    Each label is a dict: courier, parcel_code, sort_code, waybill_no, recipient, recipient_phone,
    recipient_address, sender, sender_address, goods, weight_g, buyer_note, order_sn.
    """
    from reportlab.graphics.barcode import code128
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    font = "STSong-Light"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    width_mm, height_mm = LABEL_SIZES.get(size, LABEL_SIZES["100x150"])
    w, h = width_mm * mm, height_mm * mm
    small = width_mm < 100
    buf = BytesIO()
    pdf = canvas.Canvas(buf, pagesize=(w, h))
    pdf.setTitle("电子面单")
    margin = 4 * mm

    def wrap(text: str, size_pt: float, max_width: float) -> list[str]:
        lines, line = [], ""
        for ch in text:
            if pdfmetrics.stringWidth(line + ch, font, size_pt) > max_width:
                lines.append(line)
                line = ch
            else:
                line += ch
        if line:
            lines.append(line)
        return lines or [""]

    for label in labels:
        y = h - margin - 14
        pdf.setFont(font, 14 if small else 16)
        pdf.drawString(margin, y, label["courier"])
        pdf.setFont(font, 18 if small else 22)
        pdf.drawRightString(w - margin, y, label.get("parcel_code") or "")
        y -= 8
        pdf.line(margin, y, w - margin, y)
        pdf.setFont(font, 16 if small else 20)
        y -= 22
        pdf.drawCentredString(w / 2, y, label.get("sort_code") or "")
        y -= 8
        pdf.line(margin, y, w - margin, y)
        barcode = code128.Code128(label["waybill_no"], barHeight=(12 if small else 15) * mm, barWidth=0.3 * mm)
        scale = min(1.0, (w - 2 * margin) / barcode.width)
        y -= barcode.height + 4
        pdf.saveState()
        pdf.translate((w - barcode.width * scale) / 2, y)
        pdf.scale(scale, 1)
        barcode.drawOn(pdf, 0, 0)
        pdf.restoreState()
        y -= 12
        pdf.setFont(font, 11)
        pdf.drawCentredString(w / 2, y, label["waybill_no"])
        y -= 6
        pdf.line(margin, y, w - margin, y)
        body = [
            (10 if small else 11, f"收  {label['recipient']} {label['recipient_phone']}"),
            (8 if small else 9, label["recipient_address"]),
            (8 if small else 9, f"寄  {label['sender']}  {label['sender_address']}"),
            (8 if small else 9, f"物品：{label['goods']}  重量：{label['weight_g']}g"),
        ]
        if label.get("buyer_note"):
            body.append((9 if small else 10, f"买家留言：{label['buyer_note']}"))
        for size_pt, text in body:
            pdf.setFont(font, size_pt)
            for line in wrap(text, size_pt, w - 2 * margin)[:3]:
                y -= size_pt + 3
                pdf.drawString(margin, y, line)
            y -= 3
        pdf.setFont(font, 8)
        pdf.drawString(margin, margin, f"订单号 {label['order_sn']}")
        pdf.showPage()
    pdf.save()
    return buf.getvalue()
