import type { Locale } from "../../connectors/sdk/contract.ts";

/** Every sentence a citizen reads, Vietnamese first. */
export const MESSAGES = {
  vi: {
    title: "Thanh toán phí, lệ phí dịch vụ công",
    platform: "Cổng thanh toán dịch vụ công PayGov",
    agency: "Cơ quan thu",
    dossier: "Mã hồ sơ",
    procedure: "Mã thủ tục",
    content: "Nội dung",
    payer: "Người nộp",
    lines: "Các khoản phải nộp",
    kind: { fee: "Phí", charge: "Lệ phí" },
    subItem: "tiểu mục",
    total: "Tổng số tiền",
    expires: "Hạn thanh toán",
    choose: "Chọn trung gian thanh toán",
    pay: "Thanh toán qua",
    continueOpen: "Tiếp tục giao dịch đang mở tại",
    latestFailed: "Giao dịch gần nhất chưa thành công. Bạn có thể thử lại hoặc chọn trung gian khác.",
    latestCancelled:
      "Bạn đã huỷ giao dịch tại trung gian thanh toán. Bạn có thể thử lại hoặc chọn trung gian khác.",
    noConnectors: "Hiện chưa có trung gian thanh toán nào sẵn sàng. Vui lòng thử lại sau.",
    initiateFailed:
      "Trung gian thanh toán tạm thời không phản hồi. Vui lòng thử lại hoặc chọn trung gian khác.",
    other: "English",
    instructions: {
      qrTitle: "Quét mã QR để thanh toán",
      qrBody:
        "Mở ứng dụng ngân hàng, quét mã QR và chuyển đúng số tiền với nội dung dưới đây. Trang sẽ tự cập nhật khi PayGov nhận được tiền.",
      codeTitle: "Thanh toán tại quầy bằng mã thanh toán",
      codeBody:
        "Đọc mã thanh toán này tại cửa hàng hoặc nhập vào ứng dụng của trung gian. Trang sẽ tự cập nhật khi PayGov nhận được tiền.",
      bank: "Ngân hàng",
      account: "Số tài khoản",
      accountName: "Chủ tài khoản",
      description: "Nội dung chuyển khoản",
      code: "Mã thanh toán",
      amount: "Số tiền",
      qrAlt: "Mã VietQR của khoản thanh toán",
    },
    result: {
      success: "Thanh toán thành công",
      successBody: "PayGov đã ghi nhận khoản thanh toán của bạn. Cơ quan thu sẽ được thông báo.",
      processing: "Đang xử lý giao dịch",
      processingBody: "Chúng tôi đang chờ xác nhận từ trung gian thanh toán. Trang sẽ tự cập nhật.",
      failed: "Giao dịch chưa thành công",
      failedBody: "Chưa có khoản tiền nào được ghi nhận. Bạn có thể thử lại trước hạn thanh toán.",
      cancelledByPayerBody:
        "Bạn đã huỷ giao dịch tại trung gian thanh toán, chưa có khoản tiền nào được ghi nhận. Bạn có thể thử lại trước hạn thanh toán.",
      expired: "Đã hết hạn thanh toán",
      expiredBody: "Khoản thanh toán này đã hết hạn. Vui lòng liên hệ cơ quan thu để được hướng dẫn.",
      cancelled: "Khoản thanh toán đã bị huỷ",
      cancelledBody: "Cơ quan thu đã huỷ khoản thanh toán này.",
      error: "Không thể thực hiện thanh toán",
      errorBody: "Đã có lỗi khi xử lý khoản thanh toán. Không có khoản tiền nào bị trừ.",
      tryAgain: "Thử lại",
      back: "Quay lại cổng dịch vụ công",
      paidAt: "Thời gian thanh toán",
      transaction: "Mã giao dịch",
      via: "Thanh toán qua",
      receipt: "Xem biên lai điện tử",
    },
    unverified:
      "Không xác minh được kết quả trả về từ trung gian thanh toán. Vui lòng kiểm tra trạng thái hồ sơ trên cổng dịch vụ công.",
    notFound: "Đường dẫn thanh toán không hợp lệ hoặc đã bị thay đổi.",
  },
  en: {
    title: "Pay public-service fees and charges",
    platform: "PayGov public-service payments",
    agency: "Collecting agency",
    dossier: "Dossier code",
    procedure: "Procedure code",
    content: "Description",
    payer: "Payer",
    lines: "Amounts due",
    kind: { fee: "Fee", charge: "Charge" },
    subItem: "budget sub-item",
    total: "Total",
    expires: "Pay before",
    choose: "Choose how to pay",
    pay: "Pay with",
    continueOpen: "Continue your open payment at",
    latestFailed: "Your last attempt did not go through. You can try again or choose another provider.",
    latestCancelled: "You cancelled at the payment provider. You can try again or choose another provider.",
    noConnectors: "No payment provider is available right now. Please try again later.",
    initiateFailed: "The payment provider is not responding. Please try again or choose another provider.",
    other: "Tiếng Việt",
    instructions: {
      qrTitle: "Scan the QR code to pay",
      qrBody:
        "Open your banking app, scan the QR code and transfer exactly the amount with the description below. This page updates itself when PayGov receives the money.",
      codeTitle: "Pay at a counter with your payment code",
      codeBody:
        "Give this payment code at the store or enter it in the provider's app. This page updates itself when PayGov receives the money.",
      bank: "Bank",
      account: "Account number",
      accountName: "Account name",
      description: "Transfer description",
      code: "Payment code",
      amount: "Amount",
      qrAlt: "VietQR code of this payment",
    },
    result: {
      success: "Payment successful",
      successBody: "PayGov has recorded your payment. The agency will be notified.",
      processing: "Processing your payment",
      processingBody: "We are waiting for the payment provider to confirm. This page updates itself.",
      failed: "Payment not completed",
      failedBody: "No payment has been recorded. You can try again before the deadline.",
      cancelledByPayerBody:
        "You cancelled at the payment provider, so no payment has been recorded. You can try again before the deadline.",
      expired: "Payment deadline passed",
      expiredBody: "This payment has expired. Please contact the agency for guidance.",
      cancelled: "Payment cancelled",
      cancelledBody: "The agency cancelled this payment.",
      error: "Payment could not be made",
      errorBody: "Something went wrong while processing this payment. No money has been taken.",
      tryAgain: "Try again",
      back: "Back to the public-service portal",
      paidAt: "Paid at",
      transaction: "Transaction",
      via: "Paid with",
      receipt: "View the e-receipt",
    },
    unverified:
      "We could not verify what the payment provider sent back. Please check your dossier on the public-service portal.",
    notFound: "This payment link is not valid or has been altered.",
  },
} as const satisfies Record<Locale, unknown>;

export type Messages = (typeof MESSAGES)[Locale];

/** The page language: ?lang= when given, else the payment's own language. */
export const pageLocale = (requested: string | undefined, fallback: Locale): Locale =>
  requested === "en" || requested === "vi" ? requested : fallback;
