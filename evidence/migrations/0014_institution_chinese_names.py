"""
The Chinese names of the report's institutions (evidence/data/emotional-entanglement.json, `name_zh`), for sites
that loaded the report before the bundled data had them: `manage.py load_report` would bring them too, but only
when someone runs it. Written only where an institution of the shared directory has no Chinese name yet, so a
name a coordinator typed stays; the names are copied here, not read from the file, so that this migration does
the same thing whenever it runs.
"""

from django.db import migrations

CHINESE_NAMES = {
    "alpha-hawkeye": "阿尔法鹰眼",
    "emokit": "翼开科技",
    "joyware": "中威电子",
    "taigusys": "太古计算",
    "xinktech": "云思创智",
    "znv-liwei": "中兴力维",
    "ef-childrens-english": "英孚少儿英语",
    "hanwang-education": "汉王教育",
    "haifeng-education": "海风教育",
    "hikvision": "海康威视",
    "lenovo": "联想",
    "meezao": "蜜枣网",
    "new-oriental": "新东方",
    "tal": "好未来",
    "vtron-group": "威创集团",
    "leeco": "乐视",
    "great-wall-motors": "长城汽车",
    "changan-automobiles": "长安汽车",
    "aiways": "爱驰汽车",
    "ping-an": "中国平安",
    "didi-chuxing": "滴滴出行",
    "huawei": "华为",
    "baidu": "百度",
    "alibaba": "阿里巴巴",
    "tencent": "腾讯",
    "megvii": "旷视科技",
    "microsoft": "微软",
    "google": "谷歌",
    "tianyancha": "天眼查",
    "sharp-eyes": "雪亮工程",
    "ministry-of-public-security": "公安部",
    "chinese-communist-party": "中国共产党中央委员会",
    "state-council": "国务院",
    "ministry-of-education": "教育部",
    "ministry-of-science-and-technology": "科学技术部",
    "cppcc-national-committee": "中国人民政治协商会议全国委员会",
    "shanghai-municipal-education-commission": "上海市教育委员会",
    "guangzhou-municipal-government": "广州市人民政府",
    "hangzhou-education-bureau": "杭州市教育局",
    "shenzhen-municipal-education-bureau": "深圳市教育局",
    "wenzhou-customs": "温州海关",
    "qujing-psb": "曲靖市公安局",
    "liupanshui-psb": "六盘水市公安局",
    "caidian-district-psb": "武汉市公安局蔡甸区分局",
    "jiangsu-public-security-department": "江苏省公安厅",
    "yiwu-railway-station": "义乌站",
    "china-museum-of-science-and-technology": "中国科学技术馆",
    "hubei-police-academy": "湖北警官学院",
    "sichuan-police-college": "四川警察学院",
    "nanjing-forest-police-college": "南京森林警察学院",
    "ppsuc": "中国人民公安大学",
    "gansu-upsl-public-security-college": "甘肃政法大学公安分院",
    "zuel": "中南财经政法大学",
    "tsinghua-university": "清华大学",
    "shanghai-jiao-tong-university": "上海交通大学",
    "zhejiang-university": "浙江大学",
    "sufe": "上海财经大学",
    "east-china-normal-university": "华东师范大学",
    "china-pharmaceutical-university": "中国药科大学",
    "beijing-academy-of-ai": "北京智源人工智能研究院",
    "hangzhou-no-11-middle-school": "杭州第十一中学",
    "chifeng-no-4-middle-school": "赤峰第四中学",
    "niulanshan-first-secondary-school": "牛栏山第一中学",
    "ryb-kindergarten": "红黄蓝幼儿园",
    "itu": "国际电信联盟",
    "tc260": "全国信息安全标准化技术委员会",
    "standardization-administration-of-china": "国家标准化管理委员会",
    "cesi": "中国电子技术标准化研究院",
    "ai-industry-alliance": "中国人工智能产业发展联盟",
    "un-human-rights-council": "联合国人权理事会",
    "un-ohchr": "联合国人权事务高级专员",
    "cnki": "中国知网",
    "thepaper": "澎湃新闻",
    "beijing-news": "新京报",
    "new-york-times": "纽约时报",
    "the-guardian": "卫报",
}


def search_text(institution):
    # Institution.build_search_text, which a migration's historical model does not have.
    return "\n".join([institution.name, institution.name_zh, *institution.aliases]).casefold()


def add_chinese_names(apps, schema_editor):
    Institution = apps.get_model("evidence", "Institution")
    missing = Institution.objects.filter(slug__in=CHINESE_NAMES, added_by_group__isnull=True, name_zh="")
    for institution in missing:
        institution.name_zh = CHINESE_NAMES[institution.slug]
        institution.search_text = search_text(institution)
        institution.save(update_fields=["name_zh", "search_text"])


class Migration(migrations.Migration):

    dependencies = [
        ("evidence", "0013_evidence_import_is_a_job"),
    ]

    operations = [
        migrations.RunPython(add_chinese_names, migrations.RunPython.noop),
    ]
