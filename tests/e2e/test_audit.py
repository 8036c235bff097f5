"""The journeys' checks themselves: an audit that passes everything would prove nothing."""

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_it_fails_a_page_with_a_serious_violation_naming_the_rule_and_the_element(browse):
    visitor = browse("stranger")
    page = visitor.goto("/login/")
    page.evaluate("""() => {
        const image = document.createElement("img");
        image.id = "unlabelled-chart";
        image.src = "/static/css/site.css";
        document.querySelector("main").append(image);
    }""")

    with pytest.raises(pytest.fail.Exception) as failure:
        visitor.audit()

    message = str(failure.value)
    assert "serious or critical accessibility violation(s) on /login/" in message
    assert "[critical] image-alt" in message
    assert "#unlabelled-chart" in message


def test_it_fails_a_page_that_breaks_the_content_security_policy(browse):
    visitor = browse("stranger")
    page = visitor.goto("/login/")
    # Code that adds an inline script, as a careless template or library might; the policy refuses to run it.
    page.evaluate("""() => {
        const script = document.createElement("script");
        script.textContent = "window.ranInline = true";
        document.body.append(script);
    }""")

    with pytest.raises(pytest.fail.Exception, match="Content Security Policy") as failure:
        visitor.audit()

    assert page.evaluate("window.ranInline") is None
    assert "stranger's browser reported" in str(failure.value)


def test_it_finds_a_control_by_keyboard_or_says_it_cannot(browse):
    visitor = browse("stranger")
    page = visitor.goto("/login/")
    page.locator("body").focus()

    # The skip link comes first, then the sign-in fields.
    assert visitor.tab_to(page.get_by_role("link", name="Skip to content")) == 1
    assert visitor.tab_to(page.locator("input[name=login]")) >= 1
    page.evaluate("document.querySelector('main button[type=submit]').tabIndex = -1")
    with pytest.raises(pytest.fail.Exception, match="was not reached with 5 presses of Tab"):
        visitor.tab_to(page.locator("main button[type=submit]"), limit=5)
