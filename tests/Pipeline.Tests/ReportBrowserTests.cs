using System.Text.RegularExpressions;
using MlNetStem.Imaging;
using MlNetStem.TestKit;
using Xunit;

namespace MlNetStem.Pipeline.Tests;

/// <summary>
/// `demo --report` opened in a real headless Chromium (installed by scripts/setup.sh for the tests): the page loads,
/// every embedded image decodes, no script error is logged, and a screenshot is taken.
/// </summary>
[Collection(Hdf5FileTests.Name)]
public class ReportBrowserTests
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public void DemoReport_RendersInHeadlessChromium_WithEveryImageDecoded_AndNoScriptError()
    {
        using var folder = new TempFolder();
        string output = folder.File("demo");
        var (code, stdout, error) = CliTests.Run("demo", "--report", "--trainer", "ridge,stem", "--epochs", "20", "--genes", "12",
            "--patch-px", "32", "--draws", "4", "--output", output);
        Assert.True(code == 0, error);
        string report = Path.Combine(output, "report.html");
        Assert.Contains(report, stdout);
        string page = File.ReadAllText(report);
        // ridge: measured + 2 predictions + stem's uncertainty, for the 3 default genes; stem adds the coverage chart.
        Assert.Equal(12, Regex.Matches(page, "<img ").Count);
        Assert.Equal(3, Regex.Matches(page, "<svg ").Count);

        var (rendered, log) = DumpDom(report);
        Assert.Contains("<body data-rendered=\"ok\">", rendered);
        Assert.DoesNotContain("Uncaught", log);

        string screenshot = Path.Combine(output, "report.png");
        var shot = ChildProcess.Run(Chromium, [.. HeadlessArguments, "--window-size=1400,2000", $"--screenshot={screenshot}", "file://" + report],
            TimeSpan.FromMinutes(2));
        Assert.True(shot.Code == 0, shot.Err);
        using var png = VipsImage.Open(screenshot);
        Assert.Equal((1400, 2000), (png.Width, png.Height));
    }

    [Fact]
    public void RenderCheck_CanFail_OnAnImageThatDoesNotDecode()
    {
        using var folder = new TempFolder();
        string page = folder.File("broken.html");
        // The report's own check script, over one image that is not a PNG.
        File.WriteAllText(page, "<!DOCTYPE html><html><body><img src=\"data:image/png;base64,AAAA\"><script>" +
            "window.addEventListener('load',function(){var bad=0;document.querySelectorAll('img').forEach(function(i){" +
            "if(!i.complete||i.naturalWidth===0)bad++;});document.body.setAttribute('data-rendered',bad===0?'ok':'broken-images:'+bad);});" +
            "</script></body></html>");
        Assert.Contains("data-rendered=\"broken-images:1\"", DumpDom(page).Dom);
    }

    private static readonly string[] HeadlessArguments =
        ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run", "--enable-logging=stderr", "--v=0"];

    /// <summary>The DOM after the load event, and the browser's log (console messages included).</summary>
    private static (string Dom, string Log) DumpDom(string html)
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: scripts/setup.sh installs Debian's chromium for the tests (test.sh runs it)");
        var (code, dom, log) = ChildProcess.Run(Chromium, [.. HeadlessArguments, "--dump-dom", "file://" + html], TimeSpan.FromMinutes(2));
        Assert.True(code == 0, log);
        return (dom, log);
    }
}
