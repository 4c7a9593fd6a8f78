"""The daily-figures catalogue every district starts with (the admin may add more)."""

from django.db import migrations

# code, name, unit, units as written, keywords, verbs, daily maximum
METRICS = [
    ("personnel", "出动人员", "人次", "人次 人 名", "出动人员 执法人员 工作人员 人员 干部 志愿者 出动", "", 100_000),
    ("vehicles", "出动车辆", "车次", "车次 台次 辆次 辆 台", "出动车辆 车辆 机械 洒水车 清扫车 铲车 挖掘机 出动", "", 20_000),
    ("garbage", "清运垃圾", "立方米", "立方米 立方 方 吨 车", "生活垃圾 垃圾 杂物", "", 1_000_000),
    ("construction_waste", "建筑垃圾", "立方米", "立方米 立方 方 吨", "建筑垃圾 渣土", "", 1_000_000),
    ("dust_net", "覆盖防尘网", "平方米", "平方米 平米 亩", "防尘网 裸土 苫盖 覆盖", "", 10_000_000),
    ("closed_firms", "关停取缔企业", "家", "家 个", "企业 散乱污 作坊 土小", "关停 取缔 关闭 拆除 封停", 10_000),
    ("dead_corners", "清理卫生死角", "处", "处 个", "卫生死角 死角", "", 100_000),
    ("ads", "清理广告", "处", "处 张 条 幅 块", "小广告 广告", "", 1_000_000),
    ("notices", "下达整改通知书", "份", "份 张", "整改通知书 通知书 整改通知", "", 10_000),
]


def seed(apps, schema_editor):
    Metric = apps.get_model("reporting", "Metric")
    for order, (code, name, unit, units, keywords, verbs, maximum) in enumerate(METRICS, 1):
        Metric.objects.get_or_create(code=code, defaults=dict(
            name=name, unit=unit, units=units, keywords=keywords, verbs=verbs, max_value=maximum, order=order * 10))


class Migration(migrations.Migration):
    dependencies = [("reporting", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
