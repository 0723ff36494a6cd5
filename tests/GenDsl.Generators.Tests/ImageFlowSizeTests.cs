namespace GenDsl.Generators.Tests;

/// <summary>
/// The image layers' index tables are computed when the generated type is first used (GenDsl.FlowIndex), so the
/// generated source of an image flow does not grow with the image: a 3×64×64 Glow of 3 levels (2 checkerboard couplings,
/// 3 squeezes, 12 steps; 15 layers with C·H·W-entry tables, 184,320 indices that used to be listed) compiles cleanly and
/// every line of its source stays short (measured: 500,092 characters with the export code, the longest line 292).
/// </summary>
public class ImageFlowSizeTests
{
    [Fact]
    public void A64By64GlowNamesItsTablesInsteadOfListingThem()
    {
        var steps = new System.Text.StringBuilder();
        int n = 0;
        for (int level = 1; level <= 3; level++)
        {
            steps.AppendLine($"    [Squeeze] public partial Squeeze S{level} {{ get; }}");
            for (int k = 0; k < 4; k++)
            {
                n++;
                steps.AppendLine($"    [ActNorm] public partial ActNorm N{n} {{ get; }}");
                steps.AppendLine($"    [InvertibleConv1x1(Seed = {n})] public partial InvertibleConv1x1 W{n} {{ get; }}");
                steps.AppendLine($"    [AffineCoupling(Mask.Channels{(k % 2 == 0 ? "First" : "Second")}Half, Hidden = 16)] public partial Coupling C{n} {{ get; }}");
            }
            if (level < 3)
                steps.AppendLine($"    [Split] public partial Split X{level} {{ get; }}");
        }
        string source = $$"""
            using GenDsl;
            namespace Demo;
            [Flow(Channels = 3, Height = 64, Width = 64)]
            public sealed partial class Glow64
            {
                [AffineCoupling(Mask.CheckerboardEven, Hidden = 16)] public partial Coupling B1 { get; }
                [AffineCoupling(Mask.CheckerboardOdd, Hidden = 16)] public partial Coupling B2 { get; }
            {{steps}}
            }
            """;
        var (generated, _) = GeneratorHarness.Run(source);
        string flow = Assert.Single(generated, g => g.Contains("partial class Glow64"));
        int longest = flow.Split('\n').Max(l => l.Length);
        Assert.True(longest < 1000, $"the longest generated line has {longest} characters: a table is listed");
        Assert.Contains("global::GenDsl.FlowIndex.Squeeze(12, 16, 16)", flow); // S3's input: [3, 64, 64] → S1 [12, 32, 32] → X1 [6, 32, 32] → S2 [24, 16, 16] → X2 [12, 16, 16]
        Assert.Contains("global::GenDsl.FlowIndex.ImageKept(global::GenDsl.Mask.CheckerboardOdd, 3, 64, 64)", flow);
        Assert.True(flow.Length < 600_000, $"the generated flow has {flow.Length} characters");
    }
}
