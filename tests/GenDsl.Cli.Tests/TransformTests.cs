using CommunityToolkit.HighPerformance;
using GenDsl.Cli.Models;

namespace GenDsl.Cli.Tests;

/// <summary>The dequantise + logit transform of pixel data: invertible on the pixel grid, with the right log-determinant.</summary>
public class TransformTests
{
    [Fact]
    public void PixelsSurviveTheRoundTrip()
    {
        var transform = DataTransform.DequantizeLogit(levels: 17);
        const int rows = 3, cols = 17;
        var x = new float[rows * cols];
        for (int i = 0; i < x.Length; i++) x[i] = (i % 17) / 16f; // every level
        var z = new float[x.Length];
        var back = new float[x.Length];
        var logDet = new float[rows];
        transform.ToModel(new ReadOnlySpan2D<float>(x, rows, cols), new Span2D<float>(z, rows, cols), logDet, new Rng(1));
        transform.ToData(new ReadOnlySpan2D<float>(z, rows, cols), new Span2D<float>(back, rows, cols));
        // The continuous inverse lands inside the pixel's bin: within half a level of where it started.
        for (int i = 0; i < x.Length; i++)
            Assert.True(Math.Abs(back[i] - x[i]) <= 0.5 / 16 + 1e-6, $"{x[i]} came back as {back[i]}");
        Assert.All(z, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void OffGridPixelsAreAUsageErrorNamingTheValue()
    {
        var transform = DataTransform.DequantizeLogit(levels: 17);
        var data = new GenDsl.Data.Dataset([0f, 0.0625f, 0.5f, 0.3f], 2, 2);
        var e = Assert.Throws<CliException>(() => transform.Validate(data, "mine.csv", "digits-flow"));
        Assert.Equal(ExitCodes.Usage, e.ExitCode);
        Assert.Contains("17 levels", e.Message);
        Assert.Contains("0.3 at row 1, column 1", e.Message);
    }

    [Fact]
    public void AffineTransformRoundTripsWithItsLogDet()
    {
        var transform = DataTransform.Affine(2f, -1f);
        var x = new[] { 0f, 0.25f, 1f, 0.5f };
        var y = new float[4];
        var back = new float[4];
        var logDet = new float[2];
        transform.ToModel(new ReadOnlySpan2D<float>(x, 2, 2), new Span2D<float>(y, 2, 2), logDet, new Rng(1));
        Assert.Equal(new[] { -1f, -0.5f, 1f, 0f }, y);
        Assert.All(logDet, v => Assert.Equal(2 * Math.Log(2), v, 1e-6));
        transform.ToData(new ReadOnlySpan2D<float>(y, 2, 2), new Span2D<float>(back, 2, 2));
        Assert.Equal(x, back);
    }

    [Fact]
    public void LogDetMatchesANumericalDerivative()
    {
        // One pixel: logDet = ln dz/dv − ln L, with v = (k + u)/L. Check dz/dv by central differences in double.
        const int levels = 17;
        const double alpha = 0.05;
        var transform = DataTransform.DequantizeLogit(levels, (float)alpha);
        var x = new[] { 5f / 16 };
        var z = new float[1];
        var logDet = new float[1];
        var rng = new Rng(7);
        transform.ToModel(new ReadOnlySpan2D<float>(x, 1, 1), new Span2D<float>(z, 1, 1), logDet, rng);
        double u = new Rng(7).NextUniform();
        double v = (5 + u) / levels;
        static double Z(double v) { double s = alpha + (1 - 2 * alpha) * v; return Math.Log(s / (1 - s)); }
        Assert.Equal(Z(v), z[0], 1e-5);
        double h = 1e-6;
        double derivative = (Z(v + h) - Z(v - h)) / (2 * h);
        Assert.Equal(Math.Log(derivative) - Math.Log(levels), logDet[0], 1e-4);
    }
}
