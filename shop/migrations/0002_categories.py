"""Main categories (主营类目) a store chooses and products belong to."""

from django.db import migrations

CATEGORIES = [
    ("apparel", "服饰箱包", ""),
    ("beauty", "美妆个护", ""),
    ("food", "食品保健", "食品经营许可证"),
    ("fresh", "生鲜水果", "食品经营许可证"),
    ("digital", "数码电器", ""),
    ("home", "家居日用", ""),
    ("furniture", "家具建材", ""),
    ("baby", "母婴用品", ""),
    ("sports", "运动户外", ""),
    ("books", "图书文具", "出版物经营许可证"),
    ("crossborder", "跨境进口", ""),
    ("agri", "农资园艺", ""),
]


def create(apps, schema_editor):
    Category = apps.get_model("shop", "Category")
    for code, name, licence in CATEGORIES:
        Category.objects.get_or_create(code=code, defaults={"name": name, "requires_licence": licence})


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
