using System.Net;
using System.Text;

namespace GenDsl.Cli.Output;

/// <summary>One section of the demo report: a title, explanatory paragraphs, pictures and key numbers.</summary>
internal sealed class ReportSection(string id, string title)
{
    public string Id { get; } = id;
    public string Title { get; } = title;

    /// <summary>Paragraphs of plain text (escaped when written).</summary>
    public List<string> Paragraphs { get; } = [];

    /// <summary>Pictures: a file name relative to the report and a caption.</summary>
    public List<(string File, string Caption)> Images { get; } = [];

    /// <summary>Key numbers shown in a small table: label and formatted value.</summary>
    public List<(string Label, string Value)> Facts { get; } = [];
}

/// <summary>Writes <c>index.html</c>: a self-contained page (inline CSS, relative image links) showing the sections.</summary>
internal static class HtmlReport
{
    public static void Write(string path, string title, IEnumerable<string> intro, IReadOnlyList<ReportSection> sections, string footer)
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        var html = new StringBuilder();
        html.AppendLine("<!DOCTYPE html>");
        html.AppendLine("<html lang=\"en\"><head><meta charset=\"utf-8\">");
        html.AppendLine($"<title>{E(title)}</title>");
        html.AppendLine("""
            <style>
              body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 1340px; margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.5; }
              h1 { margin-bottom: .2em; } h2 { margin-top: 2em; border-bottom: 1px solid #ddd; padding-bottom: .2em; }
              nav a { margin-right: 1em; }
              figure { display: inline-block; margin: .5em 1em .5em 0; vertical-align: top; }
              figure img { max-width: 100%; border: 1px solid #ddd; }
              figcaption { font-size: .9em; color: #555; max-width: 640px; }
              table { border-collapse: collapse; margin: .5em 0; } td { padding: .15em .8em .15em 0; } td.v { font-family: ui-monospace, monospace; text-align: right; }
              footer { margin-top: 3em; font-size: .85em; color: #777; }
            </style>
            </head><body>
            """);
        html.AppendLine($"<h1>{E(title)}</h1>");
        foreach (string p in intro) html.AppendLine($"<p>{E(p)}</p>");
        html.Append("<nav>");
        foreach (var s in sections) html.Append($"<a href=\"#{E(s.Id)}\">{E(s.Title)}</a>");
        html.AppendLine("</nav>");
        foreach (var s in sections)
        {
            html.AppendLine($"<h2 id=\"{E(s.Id)}\">{E(s.Title)}</h2>");
            foreach (string p in s.Paragraphs) html.AppendLine($"<p>{E(p)}</p>");
            foreach (var (file, caption) in s.Images)
                html.AppendLine($"<figure><img src=\"{E(file)}\" alt=\"{E(caption)}\"><figcaption>{E(caption)}</figcaption></figure>");
            if (s.Facts.Count > 0)
            {
                html.AppendLine("<table>");
                foreach (var (label, value) in s.Facts) html.AppendLine($"<tr><td>{E(label)}</td><td class=\"v\">{E(value)}</td></tr>");
                html.AppendLine("</table>");
            }
        }
        html.AppendLine($"<footer>{E(footer)} All numbers are also in <a href=\"metrics.json\">metrics.json</a>.</footer>");
        html.AppendLine("</body></html>");
        File.WriteAllText(path, html.ToString());
    }
}
