using System.Diagnostics;
using MlNetStem.Onnx.Writer;

namespace MlNetStem.Onnx.Tests;

public sealed class OnnxSessionCancellationTests
{
    /// <summary>A Loop whose trip count is an input: with a huge count it runs until stopped.</summary>
    private static byte[] BuildCounter()
    {
        var g = new OnnxGraphBuilder();
        string m = g.AddInput("M", OnnxElementType.Int64);
        string start = g.AddInput("start", OnnxElementType.Float, 1);
        var body = g.CreateSubgraph("body");
        body.AddInput("i", OnnxElementType.Int64);
        string cond = body.AddInput("cond_in", OnnxElementType.Bool);
        string acc = body.AddInput("acc_in", OnnxElementType.Float, 1);
        body.AddOutput(body.AddNode("Identity", [cond]), OnnxElementType.Bool);
        body.AddOutput(body.AddNode("Add", [acc, g.AddInitializer("one", [1f], 1)]), OnnxElementType.Float, 1);
        g.AddNode("Loop", "", [m, "", start], ["count"], OnnxAttribute.Graph("body", body));
        g.AddOutput("count", OnnxElementType.Float, 1);
        return g.ToBytes();
    }

    private static Dictionary<string, OnnxTensor> Inputs(long tripCount) => new()
    {
        ["M"] = OnnxTensor.Scalar(tripCount),
        ["start"] = OnnxTensor.Create(new[] { 0f }, 1),
    };

    [Fact]
    public void Run_WithLiveToken_CompletesNormally()
    {
        using var session = OnnxSession.FromBytes(BuildCounter());
        using var cts = new CancellationTokenSource();
        var y = session.Run(Inputs(100), [], cts.Token);
        Assert.Equal(100f, y["count"].GetData<float>()[0]);
    }

    [Fact]
    public void Run_AlreadyCancelledToken_ThrowsOperationCanceled()
    {
        using var session = OnnxSession.FromBytes(BuildCounter());
        Assert.Throws<OperationCanceledException>(() => session.Run(Inputs(1), [], new CancellationToken(canceled: true)));
    }

    [Fact]
    public void Run_CancelledMidRun_StopsPromptlyWithOperationCanceled()
    {
        using var session = OnnxSession.FromBytes(BuildCounter());
        using var cts = new CancellationTokenSource();
        var watch = Stopwatch.StartNew();
        cts.CancelAfter(TimeSpan.FromMilliseconds(200));
        Assert.ThrowsAny<OperationCanceledException>(() => session.Run(Inputs(long.MaxValue), [], cts.Token));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        // The session still works afterwards.
        Assert.Equal(3f, session.Run(Inputs(3))["count"].GetData<float>()[0]);
    }

    [Fact]
    public void Dispose_WhileRunInFlight_RunEndsCleanlyAndLaterRunsThrowDisposed()
    {
        var session = OnnxSession.FromBytes(BuildCounter());
        using var cts = new CancellationTokenSource();
        using var started = new ManualResetEventSlim();
        Exception? outcome = null;
        var thread = new Thread(() =>
        {
            started.Set();   // the thread is running; RunsInFlight below tells when the run itself has begun
            try { session.Run(Inputs(long.MaxValue), [], cts.Token); }
            catch (Exception e) { outcome = e; }
        });
        thread.Start();
        Assert.True(started.Wait(TimeSpan.FromSeconds(10)));
        // Signal, not a sleep: wait until the run holds its reference on the native session (it then runs until cancelled).
        Assert.True(SpinWait.SpinUntil(() => session.RunsInFlight == 1, TimeSpan.FromSeconds(30)), "the run never started");
        session.Dispose(); // the native session must survive until the run returns
        Assert.True(thread.IsAlive);
        cts.Cancel();
        Assert.True(thread.Join(TimeSpan.FromSeconds(10)));
        Assert.IsAssignableFrom<OperationCanceledException>(outcome);
        Assert.Throws<ObjectDisposedException>(() => session.Run(Inputs(1)));
    }
}
