using System.Buffers.Binary;
using CommunityToolkit.HighPerformance;
using GenDsl.IO;

namespace GenDsl.Cli.Tests;

/// <summary>--data FILE reads the user's CSV, NPY and IDX files, with a label column for conditional models.</summary>
public class DataFileTests : CliHarness
{
    [Fact]
    public void CsvWithALabelColumnTrainsAndEvaluatesAConditionalModel()
    {
        string csv = WriteToyCsv("labelled.csv", 200, labels: true);
        AssertExit(ExitCodes.Ok, Run("train", "conditional-moons-flow", "--data", csv, "--steps", "3", "--batch", "32", "--out", P("run")));
        var r = Run("eval", P("run"), "--data", csv);
        AssertExit(ExitCodes.Ok, r);
        Assert.Contains("labelled.csv (all rows)", r.Out);
        Assert.Contains("bayes_accuracy", r.Out);
    }

    [Fact]
    public void NpyFilesWorkWithAndWithoutLabels()
    {
        var moons = GenDsl.Data.Toy2D.TwoMoons(120, seed: 3);
        NpyWriter.Write(P("x.npy"), moons.AsSpan2D());
        AssertExit(ExitCodes.Ok, Run("train", "moons-flow", "--data", P("x.npy"), "--steps", "2", "--batch", "16", "--out", P("a")));

        var withLabels = new float[moons.Rows * 3];
        for (int r = 0; r < moons.Rows; r++)
        {
            withLabels[3 * r] = moons.Data[2 * r];
            withLabels[3 * r + 1] = moons.Data[2 * r + 1];
            withLabels[3 * r + 2] = moons.Labels[r];
        }
        NpyWriter.Write(P("xy.npy"), new ReadOnlySpan2D<float>(withLabels, moons.Rows, 3));
        AssertExit(ExitCodes.Ok, Run("train", "conditional-moons-flow", "--data", P("xy.npy"), "--steps", "2", "--batch", "16", "--out", P("b")));

        withLabels[3 * 5 + 2] = 0.5f; // not an integer label
        NpyWriter.Write(P("bad.npy"), new ReadOnlySpan2D<float>(withLabels, moons.Rows, 3));
        var r2 = Run("train", "conditional-moons-flow", "--data", P("bad.npy"), "--steps", "2", "--out", P("c"));
        AssertExit(ExitCodes.BadFile, r2);
        Assert.Contains("bad.npy, row 5", r2.Err);
    }

    [Fact]
    public void IdxImagesTrainDigitsFlowAndTruncatedIdxNamesTheOffset()
    {
        // 40 images of 8 × 8 bytes (0 … 255) in IDX format: magic 0x00000803, then the three sizes, big-endian.
        const int count = 40, side = 8;
        var bytes = new byte[16 + count * side * side];
        BinaryPrimitives.WriteInt32BigEndian(bytes, 0x0803);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), side);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), side);
        for (int i = 16; i < bytes.Length; i++) bytes[i] = (byte)(i * 37 % 5 == 0 ? 255 : 0); // 0 and 1 on the [0, 1] scale: levels 0 and 16
        File.WriteAllBytes(P("my-images-idx3-ubyte"), bytes);
        var r = Run("train", "digits-flow", "--data", P("my-images-idx3-ubyte"), "--steps", "2", "--batch", "8", "--out", P("run"));
        AssertExit(ExitCodes.Ok, r);
        Assert.Contains("(40 rows)", r.Out);

        // 8-bit grey levels are not on digits-flow's 17-level grid: refused before training, naming the value.
        bytes[16] = 128;
        File.WriteAllBytes(P("grey-images-idx3-ubyte"), bytes);
        r = Run("train", "digits-flow", "--data", P("grey-images-idx3-ubyte"), "--steps", "2", "--batch", "8", "--out", P("grey"));
        AssertExit(ExitCodes.Usage, r);
        Assert.Contains("17 levels", r.Err);
        Assert.Contains("row 0, column 0", r.Err);

        File.WriteAllBytes(P("cut-images-idx3-ubyte"), bytes[..100]);
        r = Run("train", "digits-flow", "--data", P("cut-images-idx3-ubyte"), "--out", P("cut"));
        AssertExit(ExitCodes.BadFile, r);
        Assert.Contains("cut-images-idx3-ubyte", r.Err);
    }

    [Fact]
    public void UnknownExtensionIsAUsageError()
    {
        string path = WriteFile("data.parquet", "x");
        var r = Run("train", "moons-flow", "--data", path, "--out", P("run"));
        AssertExit(ExitCodes.Usage, r);
        Assert.Contains(".csv, .npy or IDX", r.Err);
    }
}
