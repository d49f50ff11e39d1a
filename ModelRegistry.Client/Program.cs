namespace ModelRegistry.Client;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        using var interrupt = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            // The first Ctrl-C stops transfers cleanly (state is kept for a rerun); a second one ends the process.
            if (!interrupt.IsCancellationRequested)
            {
                e.Cancel = true;
                interrupt.Cancel();
            }
        };
        return await Mreg.RunAsync(args, MregEnvironment.FromProcess(), interrupt.Token);
    }
}
