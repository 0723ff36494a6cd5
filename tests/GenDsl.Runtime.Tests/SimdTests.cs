using GenDsl.Numerics;

namespace GenDsl.Runtime.Tests;

public class SimdTests
{
    [Fact]
    public void WidthWiderThanHardwareIsRejected()
    {
        if (Simd.Hardware == SimdWidth.V512)
            return; // nothing wider exists to ask for
        Assert.Throws<ArgumentOutOfRangeException>(() => Simd.Width = SimdWidth.V512);
    }

    [Fact]
    public void ReluDerivativeMatchesDefinitionAtEveryWidth()
    {
        var op = new ReluOp();
        Assert.Equal(1f, op.DerivativeFromOutput(2f));
        Assert.Equal(0f, op.DerivativeFromOutput(0f));
        var v = System.Runtime.Intrinsics.Vector256.Create(-1f, 0f, 1f, 2f, -3f, 4f, 0.5f, -0.5f);
        var y = op.Forward(v);
        for (int i = 0; i < 8; i++)
            Assert.Equal(op.Forward(v[i]), y[i]);
    }
}
