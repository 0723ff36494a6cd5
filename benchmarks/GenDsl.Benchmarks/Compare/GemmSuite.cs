namespace GenDsl.Benchmarks.Compare;

/// <summary>The GEMM shapes of the <c>compare gemm</c> suite (M×N×K, C[M×N] = A·B).</summary>
public static class GemmSuite
{
    /// <summary>
    /// Square sizes (64 … 2048) and the shapes of small MLPs on MNIST-sized data: e.g. 128×400×784
    /// is a batch of 128 through a 784→400 layer, 128×784×400 its input gradient. For the layer
    /// shapes we also time the transposed layouts a backward pass uses: "nt" (Y = X·Wᵀ with W
    /// stored out×in) and "tn" (the weight gradient dW = dYᵀ·X).
    /// </summary>
    public static IReadOnlyList<GemmShape> Shapes(bool quick)
    {
        var list = new List<GemmShape>();
        int[] square = quick ? [64, 256, 1024] : [64, 256, 1024, 2048];
        foreach (int n in square) list.Add(new GemmShape(n, n, n));

        (int M, int N, int K)[] layers = quick
            ? [(128, 400, 784), (512, 64, 64), (64, 256, 784)]
            : [(128, 400, 784), (128, 784, 400), (256, 1024, 392), (256, 1024, 1024), (512, 64, 64), (64, 256, 784)];
        foreach (var (m, n, k) in layers) list.Add(new GemmShape(m, n, k));

        (int M, int N, int K)[] transposed = quick
            ? [(128, 400, 784)]
            : [(128, 400, 784), (256, 1024, 392), (512, 64, 64), (64, 256, 784)];
        foreach (var (m, n, k) in transposed)
        {
            list.Add(new GemmShape(m, n, k, TransposeB: true));
            list.Add(new GemmShape(m, n, k, TransposeA: true));
        }

        // The products of a 64-wide coupling network on 2-D data (batch 512: the 64→64 layer's weight gradient
        // — its forward and input gradient are the 512×64×64 shapes above — then the narrow 1- and 2-wide first and last layers, forward and backward, where
        // per-call overhead and tile waste matter more than FLOPs) and one-row sampling (GEMV: a 64→64 and
        // a 400→784 layer, nt).
        (int M, int N, int K, bool TA, bool TB)[] narrow =
        [
            (64, 64, 512, true, false),
            (512, 2, 64, false, true), (2, 64, 512, true, false), (512, 64, 2, false, false),
            (64, 1, 512, true, false), (512, 1, 64, false, false),
            (1, 64, 64, false, true), (1, 784, 400, false, true), (4, 784, 400, false, true),
        ];
        foreach (var (m, n, k, ta, tb) in narrow) list.Add(new GemmShape(m, n, k, ta, tb));

        // Every product of one train-vae step (batch 128, 784 → 400 → (20, 20), 20 → 400 → 784) that the
        // lists above do not have: forward (nt), weight gradients (tn, K = batch) and input gradients (nn).
        (int M, int N, int K, bool TA, bool TB)[] vae =
        [
            (128, 40, 400, false, true), (128, 400, 20, false, true), (128, 784, 400, false, true),
            (784, 400, 128, true, false), (400, 784, 128, true, false), (40, 400, 128, true, false), (400, 20, 128, true, false),
            (128, 400, 40, false, false), (128, 20, 400, false, false),
        ];
        foreach (var (m, n, k, ta, tb) in vae) list.Add(new GemmShape(m, n, k, ta, tb));
        return list;
    }
}
