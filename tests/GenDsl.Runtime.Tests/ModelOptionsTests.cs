namespace GenDsl.Runtime.Tests;

public class ModelOptionsTests
{
    [Fact]
    public void DefaultsAreValid()
    {
        var options = new ModelOptions();
        Assert.Equal(256, options.MaxBatch);
        Assert.Equal(0UL, options.Seed);
        Assert.Equal(0, options.Threads);
        options.Validate();
        new ModelOptions { MaxBatch = 1, Seed = 5, Threads = 2 }.Validate();
    }

    [Fact]
    public void OutOfRangeOptionsAreRejected()
    {
        var batch = Assert.Throws<ArgumentException>(() => new ModelOptions { MaxBatch = 0 }.Validate());
        Assert.Equal("MaxBatch", batch.ParamName);
        Assert.Contains("0", batch.Message);
        Assert.Equal("Threads", Assert.Throws<ArgumentException>(() => new ModelOptions { Threads = -1 }.Validate()).ParamName);
    }
}
