"""Givens shared by the catalogue and promotion tests."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from shop.models import Product, ProductImage


def png_upload(name: str = "a.png", size: tuple[int, int] = (400, 300)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (0, 100, 200)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def pictured(product: Product) -> Product:
    """Give a product a (stored-name only) picture, so it may go on sale."""
    ProductImage.objects.create(product=product, image="products/test.png", thumbnail="products/test_thumb.jpg")
    return product
