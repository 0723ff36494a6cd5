using GenDsl.Threading;

namespace GenDsl.Runtime.Tests;

public class ModelOptionsTests
{
    [Fact]
    public void DefaultsAreValid()
    {
        var options = new ModelOptions();
        Assert.Equal(256, options.MaxBatch);
        Assert.Equal(0UL, options.Seed);
        Assert.Null(options.Pool);
        options.Validate();
        using var pool = new WorkerPool(2);
        new ModelOptions { MaxBatch = 1, Seed = 5, Pool = pool }.Validate();
    }

    [Fact]
    public void OutOfRangeOptionsAreRejected()
    {
        var batch = Assert.Throws<ArgumentOutOfRangeException>(() => new ModelOptions { MaxBatch = 0 }.Validate());
        Assert.Equal("MaxBatch", batch.ParamName);
        Assert.Contains("MaxBatch is 0", batch.Message);
    }
}
