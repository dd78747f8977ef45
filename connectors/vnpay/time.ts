/**
 * VNPay's wire stamps (vnp_CreateDate, vnp_ExpireDate, vnp_PayDate, vnp_TransactionDate): `yyyyMMddHHmmss`
 * on Vietnam's clock, whatever the server's zone (§1.9).
 */
export {
  formatVietnamCompact as formatVnpayDate,
  parseVietnamCompact as parseVnpayDate,
} from "../../domain/vietnam-time.ts";
