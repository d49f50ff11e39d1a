using AngleSharp.Html.Parser;
using ModelRegistry.Core.Cards;

namespace ModelRegistry.Tests.Core;

/// <summary>Card markdown renders the extensions authors expect, and nothing from a card can run script.</summary>
public sealed class CardRenderingTests
{
    private static readonly CardRenderer Renderer = new();

    /// <summary>Known XSS payloads, as a card author could type them: raw HTML, event handlers, frames, and
    /// javascript:/data:/vbscript: targets in links, images, autolinks and references, in any case and entity-encoded.</summary>
    public static TheoryData<string> XssPayloads() => new(
        "<script>alert(1)</script>",
        "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
        "<scr<script>ipt>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<IMG SRC=\"x\" ONERROR=\"alert(1)\">",
        "<svg onload=alert(1)>",
        "<svg><script>alert(1)</script></svg>",
        "<body onload=alert(1)>",
        "<details open ontoggle=alert(1)>x</details>",
        "<iframe src=\"https://evil.example\"></iframe>",
        "<iframe src=\"javascript:alert(1)\"></iframe>",
        "<IFRAME SRCDOC=\"<script>alert(1)</script>\">",
        "<object data=\"javascript:alert(1)\"></object>",
        "<embed src=\"javascript:alert(1)\">",
        "<form action=\"javascript:alert(1)\"><button>go</button></form>",
        "<a href=\"javascript:alert(1)\">raw link</a>",
        "<a href=\"&#106;avascript:alert(1)\">raw encoded</a>",
        "<div style=\"background:url(javascript:alert(1))\">styled</div>",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        "<style>body{background:url(javascript:alert(1))}</style>",
        "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](JAVASCRIPT:alert(1))",
        "[click](&#106;avascript:alert(1))",
        "[click](&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1))",
        "[click](&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058alert(1))",
        "[click](java&#x09;script:alert(1))",
        "[click](java&#x0A;script:alert(1))",
        "[click](&#x20;javascript:alert(1))",
        "[click](<javascript:alert(1)>)",
        "[click](javascript&colon;alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[click](DaTa:text/html,alert)",
        "[click](vbscript:msgbox(1))",
        "[click](VBScript:msgbox(1))",
        "[click](&#118;bscript:msgbox(1))",
        "<javascript:alert(1)>",
        "<JAVASCRIPT:alert(1)>",
        "<data:text/html,alert(1)>",
        "<vbscript:msgbox(1)>",
        "![x](javascript:alert(1))",
        "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
        "[ref]\n\n[ref]: javascript:alert(1)",
        "[ref]\n\n[ref]: &#106;avascript:alert(1)",
        "| a |\n|---|\n| <img src=x onerror=alert(1)> |",
        "- [x] <script>alert(1)</script>",
        "> <iframe src=//evil.example>",
        "```\n</code></pre><script>alert(1)</script>\n```",
        "`<script>alert(1)</script>`",
        "[a](https://ok.example \"title\\\" onmouseover=alert(1) x=\\\"\")",
        "---\ntitle: <script>alert(1)</script>\n---\nbody");

    [Theory]
    [MemberData(nameof(XssPayloads))]
    public void Xss_payload_renders_inert(string markdown)
    {
        var html = Renderer.ToHtml(markdown);

        AssertInert(html);
    }

    [Theory]
    [MemberData(nameof(XssPayloads))]
    public void Sanitiser_alone_makes_the_payload_inert_even_as_raw_html(string payload)
    {
        // Defence in depth: were raw HTML ever enabled, the sanitiser alone must still hold.
        AssertInert(Renderer.Sanitize(payload));
    }

    [Fact]
    public void Raw_html_is_shown_as_text_not_markup()
    {
        var html = Renderer.ToHtml("Hello <b>bold</b> <script>alert(1)</script>");

        Assert.Contains("&lt;b&gt;bold&lt;/b&gt;", html);
        Assert.Contains("&lt;script&gt;", html);
    }

    [Fact]
    public void Pipe_tables_render_as_tables_with_alignment()
    {
        var html = Renderer.ToHtml("| Metric | Value |\n|:---|---:|\n| accuracy | 0.71 |\n");

        var doc = Parse(html);
        Assert.NotNull(doc.QuerySelector("table > thead > tr > th"));
        var cell = doc.QuerySelectorAll("td")[1];
        Assert.Equal("0.71", cell.TextContent);
        Assert.Contains("text-align", cell.GetAttribute("style") ?? "");
    }

    [Fact]
    public void Task_lists_render_as_disabled_checkboxes()
    {
        var doc = Parse(Renderer.ToHtml("- [x] red-teamed\n- [ ] bias audit\n"));

        var boxes = doc.QuerySelectorAll("input[type=checkbox]");
        Assert.Equal(2, boxes.Length);
        Assert.All(boxes, b => Assert.True(b.HasAttribute("disabled")));
        Assert.True(boxes[0].HasAttribute("checked"));
        Assert.False(boxes[1].HasAttribute("checked"));
        Assert.NotNull(doc.QuerySelector("li.task-list-item"));
    }

    [Fact]
    public void Task_list_checkboxes_are_named_by_their_item_and_hostile_text_stays_text()
    {
        var doc = Parse(Renderer.ToHtml("- [x] red-teamed\n- [ ] bias \"audit\" <script>x()</script>\n- [ ]\n"));

        var boxes = doc.QuerySelectorAll("input[type=checkbox]");
        Assert.Equal("red-teamed", boxes[0].GetAttribute("aria-label"));
        Assert.Equal("bias \"audit\" <script>x()</script>", boxes[1].GetAttribute("aria-label"));
        Assert.Empty(doc.QuerySelectorAll("script"));
    }

    [Fact]
    public void Bare_web_addresses_become_links_that_open_safely()
    {
        var doc = Parse(Renderer.ToHtml("See https://huggingface.co/meta-llama and www.example.com for details."));

        var links = doc.QuerySelectorAll("a");
        Assert.Equal(2, links.Length);
        Assert.Equal("https://huggingface.co/meta-llama", links[0].GetAttribute("href"));
        Assert.Equal("nofollow noopener noreferrer", links[0].GetAttribute("rel"));
        Assert.Equal("_blank", links[0].GetAttribute("target"));
    }

    [Fact]
    public void Http_https_mailto_and_relative_links_are_kept()
    {
        var doc = Parse(Renderer.ToHtml("[a](http://a.example) [b](https://b.example/x?y=1) [c](mailto:ml@example.com) [d](/models/x) [e](#limitations)"));

        Assert.Equal(["http://a.example", "https://b.example/x?y=1", "mailto:ml@example.com", "/models/x", "#limitations"],
            doc.QuerySelectorAll("a").Select(a => a.GetAttribute("href")));
    }

    /// <summary>Ways a card could point at an API endpoint that records or streams something when a reader's browser fetches it.</summary>
    public static TheoryData<string> ApiTargets() => new(
        "/api/v1/audit/export?format=csv",
        "/api/v1/models/m/versions/1/evidence?format=html",
        "/API/V1/AUDIT/EXPORT",
        "/%61pi/v1/audit/export",
        "/models/m/../../api/v1/audit/export",
        "/x/%2e%2e/api/v1/audit/export",
        "../../../api/v1/audit/export",
        "/api/v1/models/m/versions/1/files/%2e%2e/%2e%2e/%2e%2e/%2e%2e/audit/export",
        "/api/v1/models/m%2F..%2F..%2F..%2Faudit/versions/1/files/x",
        "/api",
        "&#47;api/v1/audit/export");

    [Theory]
    [MemberData(nameof(ApiTargets))]
    public void A_card_image_pointing_into_the_api_loads_nothing(string target)
    {
        var doc = Parse(Renderer.ToHtml($"![chart]({target})"));

        var image = Assert.Single(doc.QuerySelectorAll("img"));
        Assert.False(image.HasAttribute("src"), $"<img src=\"{image.GetAttribute("src")}\"> for {target}");
        Assert.Equal("chart", image.GetAttribute("alt"));
    }

    [Theory]
    [MemberData(nameof(ApiTargets))]
    public void A_card_link_pointing_into_the_api_is_plain_text(string target)
    {
        var doc = Parse(Renderer.ToHtml($"[the evidence]({target})"));

        var link = Assert.Single(doc.QuerySelectorAll("a"));
        Assert.False(link.HasAttribute("href"), $"<a href=\"{link.GetAttribute("href")}\"> for {target}");
        Assert.Equal("the evidence", link.TextContent);
    }

    [Theory]
    [InlineData("https://registry.example.com/api/v1/audit/export?format=csv")]
    [InlineData("//registry.example.com/api/v1/models/m/versions/1/evidence")]
    public void An_absolute_image_into_any_hosts_api_loads_nothing(string target)
    {
        var doc = Parse(Renderer.ToHtml($"![chart]({target})"));

        Assert.False(Assert.Single(doc.QuerySelectorAll("img")).HasAttribute("src"));
    }

    [Fact]
    public void A_versions_files_and_other_sites_api_pages_stay_linked()
    {
        var doc = Parse(Renderer.ToHtml("![chart](/api/v1/models/m/versions/1/files/eval/chart.png) "
            + "[weights](/api/v1/models/m/versions/1/files/model.safetensors) [their API](https://docs.example.com/api/v1/reference)"));

        Assert.Equal("/api/v1/models/m/versions/1/files/eval/chart.png", doc.QuerySelector("img")?.GetAttribute("src"));
        Assert.Equal(["/api/v1/models/m/versions/1/files/model.safetensors", "https://docs.example.com/api/v1/reference"],
            doc.QuerySelectorAll("a").Select(a => a.GetAttribute("href")));
    }

    [Fact]
    public void Front_matter_is_not_part_of_the_rendered_card()
    {
        var html = Renderer.ToHtml("---\nlicense: apache-2.0\ntags: [chat]\n---\n# Support assistant\n");

        Assert.DoesNotContain("apache-2.0", html);
        Assert.Equal("Support assistant", Parse(html).QuerySelector("h1")?.TextContent);
    }

    [Fact]
    public void Classes_other_than_markdigs_own_are_dropped()
    {
        var doc = Parse(Renderer.Sanitize("<p class=\"mud-overlay language-python\">x</p><code class=\"language-python\">y</code>"));

        Assert.Null(doc.QuerySelector(".mud-overlay"));
        Assert.NotNull(doc.QuerySelector("code.language-python"));
    }

    [Fact]
    public void Strikethrough_and_code_blocks_render()
    {
        var doc = Parse(Renderer.ToHtml("~~old~~ new\n\n```python\nprint('hi')\n```\n"));

        Assert.Equal("old", doc.QuerySelector("del")?.TextContent);
        Assert.Equal("print('hi')\n", doc.QuerySelector("pre > code.language-python")?.TextContent);
    }

    private static AngleSharp.Html.Dom.IHtmlDocument Parse(string html) => new HtmlParser().ParseDocument($"<body>{html}</body>");

    private static void AssertInert(string html)
    {
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        var doc = Parse(html);
        string[] forbidden = ["script", "iframe", "object", "embed", "form", "svg", "math", "style", "meta", "link", "base", "frame", "frameset"];
        foreach (var tag in forbidden)
        {
            Assert.Empty(doc.Body!.QuerySelectorAll(tag));
        }

        foreach (var element in doc.Body!.QuerySelectorAll("*"))
        {
            foreach (var attribute in element.Attributes)
            {
                Assert.False(attribute.Name.StartsWith("on", StringComparison.OrdinalIgnoreCase),
                    $"event handler {attribute.Name} on <{element.LocalName}> in: {html}");
                Assert.NotEqual("srcdoc", attribute.Name, StringComparer.OrdinalIgnoreCase);
                if (attribute.Name is "href" or "src" or "action" or "formaction" or "data" or "xlink:href")
                {
                    AssertSafeTarget(attribute.Value, html);
                }

                if (attribute.Name == "style")
                {
                    Assert.DoesNotContain("url(", attribute.Value, StringComparison.OrdinalIgnoreCase);
                }
            }
        }
    }

    private static void AssertSafeTarget(string value, string html)
    {
        // What a browser would see: entities decoded (AngleSharp already did), whitespace and controls stripped.
        var compact = new string(value.Where(c => !char.IsWhiteSpace(c) && !char.IsControl(c)).ToArray());
        var colon = compact.IndexOf(':');
        var slash = compact.IndexOfAny(['/', '?', '#']);
        if (colon < 0 || (slash >= 0 && slash < colon))
        {
            return; // Relative: no scheme at all.
        }

        var scheme = compact[..colon].ToLowerInvariant();
        Assert.True(scheme is "http" or "https" or "mailto", $"target with scheme '{scheme}' in: {html}");
    }
}
