using System.Numerics.Tensors;
using CommunityToolkit.HighPerformance;

namespace GenDsl;

/// <summary>
/// The guard every public method of a generated model takes first: a generated model is not thread-safe
/// (its arenas hold one call's activations), so a call that starts while another thread is inside the same
/// instance throws an <see cref="InvalidOperationException"/> at once instead of corrupting both calls.
/// One compare-and-swap on entry and one write on exit; nested calls on the same thread (TrainStep calling
/// Backward) pass through. Allocation-free (a ref struct disposed by <c>using</c>).
/// </summary>
public ref struct ModelCall
{
    private ref int _owner;
    private bool _release;

    /// <summary>Enters the model whose "in use" word is <paramref name="owner"/> (0 when idle, else the managed thread id inside).</summary>
    /// <param name="owner">The model's word.</param>
    /// <param name="model">The model's class name, for the message.</param>
    /// <exception cref="InvalidOperationException">Another thread is inside the same model.</exception>
    public ModelCall(ref int owner, string model)
    {
        int me = Environment.CurrentManagedThreadId;
        int previous = Interlocked.CompareExchange(ref owner, me, 0);
        if (previous != 0 && previous != me)
            throw new InvalidOperationException(
                $"This {model} is in use by thread {previous} and thread {me} called it too: a generated model is not thread-safe " +
                "(its arenas hold one call's activations). Give each thread its own instance (copy Parameters between them), " +
                "or serialise the calls with a lock.");
        _owner = ref owner;
        _release = previous == 0;
    }

    /// <summary>Leaves the model (the outermost call only).</summary>
    public void Dispose()
    {
        if (_release)
            Volatile.Write(ref _owner, 0);
        _release = false;
    }
}

/// <summary>The finiteness check of a generated model's input batches (<see cref="ModelOptions.CheckFinite"/>).</summary>
public static class ModelInput
{
    /// <summary>
    /// Throws when a value of <paramref name="x"/> is NaN or ±∞, naming the argument, row and column. One
    /// vectorised sum over the whole batch when its rows are contiguous (a non-finite value makes the sum
    /// non-finite), else one per row; only when a sum is not finite are the rows summed and scanned one by
    /// one, so finite values whose sum overflowed are not an error.
    /// </summary>
    /// <param name="x">The batch, one example per row.</param>
    /// <param name="argument">The argument's name.</param>
    /// <param name="model">The model's class name.</param>
    /// <exception cref="ArgumentException">A value is NaN or infinite.</exception>
    public static void ThrowIfNotFinite(ReadOnlySpan2D<float> x, string argument, string model)
    {
        if (x.TryGetSpan(out var all) && float.IsFinite(TensorPrimitives.Sum(all)))
            return;
        for (int r = 0; r < x.Height; r++)
        {
            var row = x.GetRowSpan(r);
            if (float.IsFinite(TensorPrimitives.Sum(row)))
                continue;
            for (int c = 0; c < row.Length; c++)
            {
                if (!float.IsFinite(row[c]))
                    throw new ArgumentException(
                        $"{argument} row {r}, column {c} is {(float.IsNaN(row[c]) ? "NaN" : row[c] > 0 ? "+∞" : "−∞")}: {model} needs finite inputs " +
                        "(clean or impute the data first; ModelOptions.CheckFinite = false skips this check).", argument);
            }
        }
    }
}
