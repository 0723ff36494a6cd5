using GenDsl.Analyzers;
using Microsoft.CodeAnalysis;

namespace GenDsl.Analyzers.Tests;

/// <summary>The catalogue is consistent: IDs, help links into docs/diagnostics.md, release tracking.</summary>
public class DescriptorTests
{
    private static string RepositoryFile(params string[] parts) => TestSetup.RepositoryFile(parts);

    [Fact]
    public void IdsAreGD0001ToGD0018InOrder()
    {
        var ids = GenDslDiagnostics.All.Select(d => d.Id).ToArray();
        Assert.Equal(Enumerable.Range(1, 18).Select(i => $"GD{i:D4}"), ids);
        Assert.Equal(GenDslDiagnostics.All, new GenDslAnalyzer().SupportedDiagnostics);
    }

    [Theory]
    [InlineData("Flows", "FlowValidator.cs")]
    [InlineData("Networks", "NetValidator.cs")]
    [InlineData("Layers", "Op.cs")]
    [InlineData("Layers", "NetworkShapes.cs")]
    public void EveryIdTheValidatorsReportHasADescriptor(string folder, string file)
    {
        var source = File.ReadAllText(RepositoryFile("generators", folder, file));
        var ids = System.Text.RegularExpressions.Regex.Matches(source, "\"(GD\\d{4})\"").Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.NotEmpty(ids);
        Assert.All(ids, id => Assert.Contains(GenDslDiagnostics.All, d => d.Id == id));
    }

    [Fact]
    public void EveryRuleHasASectionInTheDocsAndAHelpLinkToIt()
    {
        var docs = File.ReadAllLines(RepositoryFile("docs", "diagnostics.md"));
        foreach (var descriptor in GenDslDiagnostics.All)
        {
            Assert.Equal("docs/diagnostics.md#" + descriptor.Id.ToLowerInvariant(), descriptor.HelpLinkUri);
            // "## GD0001" renders with the anchor #gd0001.
            Assert.Contains("## " + descriptor.Id, docs);
            string severity = descriptor.DefaultSeverity == DiagnosticSeverity.Error ? "error" : "warning";
            Assert.Contains(docs, line => line.StartsWith($"| [{descriptor.Id}](#{descriptor.Id.ToLowerInvariant()}) | {severity} | {descriptor.Category} |", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void ReleaseTrackingListsEveryRuleWithItsCategoryAndSeverity()
    {
        var unshipped = File.ReadAllLines(RepositoryFile("analyzers", "AnalyzerReleases.Unshipped.md"));
        foreach (var descriptor in GenDslDiagnostics.All)
            Assert.Contains(unshipped, line => line.StartsWith($"{descriptor.Id} | {descriptor.Category} | {descriptor.DefaultSeverity} |", StringComparison.Ordinal));
    }
}
