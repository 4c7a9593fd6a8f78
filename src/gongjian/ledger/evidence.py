"""Storing evidence files: type and size limits, Pillow verification, EXIF capture time and GPS."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os

from django.core.files.base import ContentFile
from django.utils import timezone

from gongjian.core import rows
from gongjian.core.errors import Invalid

MAX_BYTES = int(os.environ.get("GONGJIAN_MAX_UPLOAD_MB", "20")) * 1024 * 1024
IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
DOCUMENT_TYPES = {
    ".pdf": ("application/pdf", b"%PDF-"),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", b"PK\x03\x04"),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK\x03\x04"),
}
# Pillow refuses images above this many pixels (decompression bombs).
MAX_PIXELS = 60_000_000


def _read_limited(upload) -> bytes:
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_BYTES:
        raise Invalid(f"文件过大：{size / 1048576:.1f} MB，上限 {MAX_BYTES // 1048576} MB / file too large",
                      field="file")
    chunks, total = [], 0
    for chunk in upload.chunks() if hasattr(upload, "chunks") else [upload.read()]:
        total += len(chunk)
        if total > MAX_BYTES:
            raise Invalid(f"文件过大，上限 {MAX_BYTES // 1048576} MB / file too large", field="file")
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data:
        raise Invalid("文件为空 / empty file", field="file")
    return data


def _gps_to_degrees(values, ref) -> float | None:
    try:
        d, m, s = (float(v) for v in values)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    deg = d + m / 60 + s / 3600
    return -deg if ref in ("S", "W") else deg


def read_exif(image) -> tuple[dt.datetime | None, float | None, float | None]:
    """Capture time (as local time in Asia/Shanghai) and WGS-84 position from EXIF, when present."""
    from PIL import ExifTags

    taken_at = lng = lat = None
    try:
        exif = image.getexif()
    except Exception:
        return None, None, None
    if not exif:
        return None, None, None
    sub = exif.get_ifd(ExifTags.IFD.Exif) if hasattr(exif, "get_ifd") else {}
    raw = sub.get(ExifTags.Base.DateTimeOriginal) or exif.get(ExifTags.Base.DateTime)
    if isinstance(raw, str):
        try:
            taken_at = timezone.make_aware(dt.datetime.strptime(raw.strip(), "%Y:%m:%d %H:%M:%S"))
        except ValueError:
            taken_at = None
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo) if hasattr(exif, "get_ifd") else {}
    if gps:
        lat = _gps_to_degrees(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef))
        lng = _gps_to_degrees(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef))
        if (lat is not None and not -90 <= lat <= 90) or (lng is not None and not -180 <= lng <= 180):
            lat = lng = None
    return taken_at, lng, lat


def check_upload(*, stage, upload) -> tuple[str, bytes, dict]:
    """Read and verify one upload without storing anything: (name, content, model fields).

    Raises Invalid naming the file when it is too large, empty, not a supported image or document.
    A caller that stores several files checks them all first, so one bad file stores none.
    """
    from PIL import Image, UnidentifiedImageError

    from gongjian.ledger.models import EvidenceStage

    name = os.path.basename(getattr(upload, "name", "") or "file")[:200]
    data = _read_limited(upload)
    ext = os.path.splitext(name)[1].lower()
    fields = {}
    if ext in DOCUMENT_TYPES and stage == EvidenceStage.OTHER:
        content_type, magic = DOCUMENT_TYPES[ext]
        if not data.startswith(magic):
            raise Invalid(f"“{name}”的内容不是 {ext} 文件 / content does not match {ext}", field="file")
        fields.update(content_type=content_type, is_image=False)
    else:
        Image.MAX_IMAGE_PIXELS = MAX_PIXELS
        try:
            with Image.open(io.BytesIO(data)) as probe:
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                fmt = image.format
                width, height = image.size
                taken_at, lng, lat = read_exif(image)
        except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError):
            raise Invalid(f"“{name}”不是可识别的图片(支持 JPEG、PNG、WebP、GIF) / not an image",
                          field="file") from None
        if fmt not in IMAGE_FORMATS:
            raise Invalid(f"“{name}”的图片格式 {fmt} 不支持 / unsupported image format", field="file")
        fields.update(content_type=IMAGE_FORMATS[fmt], is_image=True, width=width, height=height,
                      taken_at=taken_at, lng=lng, lat=lat)
    return name, data, fields


def store_evidence(*, case, stage, upload, actor, checked: tuple[str, bytes, dict] | None = None):
    """Verify (unless ``checked`` is what ``check_upload`` returned for this upload) and store."""
    from gongjian.ledger.models import Evidence

    name, data, fields = checked if checked is not None else check_upload(stage=stage, upload=upload)
    digest = hashlib.sha256(data).hexdigest()
    evidence = Evidence(case=case, stage=stage, original_name=name, size=len(data), sha256=digest,
                        uploaded_by=actor, **fields)
    evidence.file.save(name, ContentFile(data), save=False)
    rows.insert(evidence)
    return evidence
