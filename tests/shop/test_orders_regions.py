"""The bundled region list and address validation orders rely on."""

import pytest

from portal.exceptions import ValidationFailed
from portal.regions import PROVINCES, cities_of, districts_of, regions, validate_address


def test_every_province_is_in_the_bundled_list():
    assert set(PROVINCES) == set(regions())
    assert len(cities_of("广东省")) >= 20


@pytest.mark.parametrize(
    "address",
    [
        ("浙江省", "杭州市", "西湖区"),
        ("北京市", "北京市", "海淀区"),  # municipality: the city is the municipality itself
        ("重庆市", "重庆市", "石柱土家族自治县"),
        ("广东省", "东莞市", "东莞市"),  # city without districts
        ("湖北省", "仙桃市", "仙桃市"),  # county-level city under the province
        ("香港特别行政区", "香港", "中西区"),  # outlying: no bundled list, free text
    ],
)
def test_valid_addresses(address):
    validate_address(*address)


@pytest.mark.parametrize(
    ("address", "field"),
    [
        (("火星省", "杭州市", "西湖区"), "province"),
        (("浙江省", "广州市", "西湖区"), "city"),
        (("浙江省", "杭州市", "海淀区"), "district"),
        (("香港特别行政区", "", ""), "city"),
    ],
)
def test_invalid_addresses_name_the_field(address, field):
    with pytest.raises(ValidationFailed) as exc:
        validate_address(*address)
    assert field in exc.value.fields


def test_districts_of_unknown_city_is_empty():
    assert districts_of("浙江省", "不存在市") == []
